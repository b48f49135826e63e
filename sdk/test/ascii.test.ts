import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { latin1, toHex, utf8 } from '@sigsum-kit/sdk';
import { AsciiReader, AsciiWriter } from '@sigsum-kit/sdk/internal';
import { parseErrorOf } from './parse-error.js';

const H = 'ab'.repeat(32);

describe('latin1', () => {
  const charCodes = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
  it('maps each byte to the char of the same code, ASCII (one native decode) or not', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(charCodes(latin1(all))).toEqual([...all]);
    // A UTF-8 BOM and sequence stay three and two chars (no decoder strips or joins them).
    expect(charCodes(latin1(new Uint8Array([0xef, 0xbb, 0xbf, 0xc3, 0xa9])))).toEqual([0xef, 0xbb, 0xbf, 0xc3, 0xa9]);
    expect(latin1(utf8('size=1\n'))).toBe('size=1\n');
    expect(latin1(new Uint8Array(0))).toBe('');
    // Longer than one 8 KiB chunk of the non-ASCII path, and the same length all ASCII.
    const long = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256);
    expect(charCodes(latin1(long))).toEqual([...long]);
    expect(charCodes(latin1(long.map((x) => x & 0x7f)))).toEqual([...long.map((x) => x & 0x7f)]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), fc.boolean(), (b, ascii) => {
        const bytes = ascii ? b.map((x) => x & 0x7f) : b;
        const s = latin1(bytes);
        return s.length === bytes.length && charCodes(s).every((c, i) => c === bytes[i]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('AsciiReader', () => {
  it('reads keys in order, with hex, integers, fields and a repeated last key', () => {
    const r = new AsciiReader(`size=13\nroot_hash=${H.toUpperCase()}\nleaf=a b c\nx=1\nx=2\n`);
    expect(r.uint63('size')).toBe(13n);
    expect(toHex(r.hex('root_hash', 32))).toBe(H);
    expect(r.fields('leaf', 3)).toEqual(['a', 'b', 'c']);
    expect(r.repeated('x', (v) => v)).toEqual(['1', '2']);
    r.end();
  });

  it('accepts bytes and reads them one char per byte', () => {
    const r = new AsciiReader(utf8('size=1\n'));
    expect(r.uint63('size')).toBe(1n);
    const e = parseErrorOf(() => new AsciiReader(new Uint8Array([0x73, 0x3d, 0xc3, 0xa9, 0x0a])).uint63('s'));
    expect(e.code).toBe('integer.syntax');
    expect(e.where).toBe('line 1 (s)');
  });

  it.each([
    ['', (r: AsciiReader) => r.value('size'), 'ascii.eof', 'line 1 (size): unexpected end of input, expected size'],
    ['size=1', (r: AsciiReader) => r.value('size'), 'ascii.unterminated', 'line 1 (size): last line is not terminated by a newline'],
    ['\nsize=1\n', (r: AsciiReader) => r.value('size'), 'ascii.empty-line', 'line 1 (size): unexpected empty line, expected size'],
    ['size1\n', (r: AsciiReader) => r.value('size'), 'ascii.syntax', 'line 1 (size): line has no \'=\': "size1"'],
    ['Size=1\n', (r: AsciiReader) => r.value('size'), 'ascii.order', 'line 1 (size): expected key size, got "Size"'],
    ['size =1\n', (r: AsciiReader) => r.value('size'), 'ascii.order', 'line 1 (size): expected key size, got "size "'],
    ['leaf=a  b\n', (r: AsciiReader) => r.fields('leaf', 2), 'ascii.fields', 'line 1 (leaf): expected 2 space-separated values, got 3'],
    ['leaf=a\tb\n', (r: AsciiReader) => r.fields('leaf', 2), 'ascii.fields', 'line 1 (leaf): expected 2 space-separated values, got 1'],
    ['size=13\r\n', (r: AsciiReader) => r.uint63('size'), 'integer.syntax', 'line 1 (size): invalid decimal integer "13\\r"'],
    ['size=01\n', (r: AsciiReader) => r.uint63('size'), 'integer.syntax', 'line 1 (size): invalid decimal integer "01"'],
    ['size=9223372036854775808\n', (r: AsciiReader) => r.uint63('size'), 'integer.range', 'line 1 (size): integer exceeds 2^63-1'],
    [`h=${H}\r\n`, (r: AsciiReader) => r.hex('h', 32), 'hex.length', 'line 1 (h): expected 32 bytes (64 hex digits), got 65 characters'],
    [`h=${H.slice(2)}zz\n`, (r: AsciiReader) => r.hex('h', 32), 'hex.char', 'line 1 (h): invalid hex character "z" at offset 62'],
    ['a=1\n', (r: AsciiReader) => r.repeated('a', (v) => v, { min: 2 }), 'ascii.count', 'line 2 (a): expected at least 2 a lines, got 1'],
    ['a=1\na=2\na=3\n', (r: AsciiReader) => r.repeated('a', (v) => v, { max: 2 }), 'ascii.count', 'line 3 (a): more than 2 a lines'],
    ['a=1\n\na=2\n', (r: AsciiReader) => r.repeated('a', (v) => v), 'ascii.empty-line', 'line 2 (a): unexpected empty line, expected a'],
  ])('rejects %j with %s', (body, read, code, message) => {
    const e = parseErrorOf(() => read(new AsciiReader(body)));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('rejects trailing lines, including an empty one', () => {
    for (const [body, msg] of [
      ['a=1\n\n', 'line 2: unexpected line after the end of the body: ""'],
      ['a=1\nfoo=bar\n', 'line 2: unexpected line after the end of the body: "foo=bar"'],
    ] as const) {
      const r = new AsciiReader(body);
      r.value('a');
      const e = parseErrorOf(() => r.end());
      expect(e.code).toBe('ascii.garbage');
      expect(e.message).toBe(msg);
    }
  });

  it('bounds the input size before splitting', () => {
    const e = parseErrorOf(() => new AsciiReader('a=1\n'.repeat(10), { maxBytes: 39 }));
    expect(e.code).toBe('ascii.size');
    expect(e.message).toBe('body of 40 bytes exceeds the limit of 39');
    expect(new AsciiReader('a=1\n'.repeat(10), { maxBytes: 40 }).atEnd()).toBe(false);
  });

  it('stops a repeated key before an empty line when asked (proof blocks)', () => {
    const r = new AsciiReader('a=1\na=2\n\nb=3\n');
    expect(r.repeated('a', (v) => v, { stopAtEmptyLine: true })).toEqual(['1', '2']);
    expect(r.atEmptyLine()).toBe(true);
    r.emptyLine();
    expect(r.peekKey()).toBe('b');
    expect(r.value('b')).toBe('3');
    r.end();
    const e = parseErrorOf(() => new AsciiReader('x\n').emptyLine());
    expect(e.code).toBe('ascii.garbage');
    expect(e.message).toBe('line 1: expected an empty line, got "x"');
  });
});

describe('AsciiWriter', () => {
  it('writes lowercase hex, decimal integers and space-separated fields', () => {
    const w = new AsciiWriter().line('size', 5n).line('h', new Uint8Array([0xab, 0x01])).line('c', new Uint8Array([1]), 7n, 'x').emptyLine();
    expect(w.toString()).toBe('size=5\nh=ab01\nc=01 7 x\n\n');
  });

  it('refuses values it could not read back', () => {
    expect(() => new AsciiWriter().line('a', -1n)).toThrow(TypeError);
    expect(() => new AsciiWriter().line('a', 1n << 63n)).toThrow(TypeError);
    expect(() => new AsciiWriter().line('a', 'x y')).toThrow(TypeError);
    expect(() => new AsciiWriter().line('a=b', 1n)).toThrow(TypeError);
    expect(() => new AsciiWriter().line('a')).toThrow(TypeError);
  });

  it('round-trips through the reader', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 }), (n, h, hs) => {
        const w = new AsciiWriter().line('n', n).line('h', h);
        for (const x of hs) w.line('r', x);
        const r = new AsciiReader(w.toString());
        expect(r.uint63('n')).toBe(n);
        expect(r.hex('h', 32)).toEqual(h);
        expect(r.repeated('r', (v, where) => v + where).length).toBe(hs.length);
        r.end();
      }),
      { numRuns: 200 },
    );
  });
});
