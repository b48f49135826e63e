/**
 * The plain-JavaScript SHA-256 (what browsers hash with) against the FIPS
 * 180-4 examples and against node:crypto on random inputs split at random
 * points, including every length around the padding boundaries.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256Js, toHex, utf8 } from '@sigsum-kit/sdk';

const nodeHex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256Js', () => {
  it('gives the FIPS 180-4 example digests', () => {
    expect(toHex(sha256Js([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256Js([utf8('abc')]))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256Js([utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')]))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(toHex(sha256Js([utf8('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu')]))).toBe(
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    );
    expect(toHex(sha256Js([new Uint8Array(1_000_000).fill(0x61)]))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('matches node:crypto for every length 0..300, whole and split in three', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 167 + 13) & 0xff);
    for (let n = 0; n <= 300; n++) {
      const m = data.subarray(0, n);
      const want = nodeHex(m);
      expect(toHex(sha256Js([m]))).toBe(want);
      const a = n >> 2;
      const b = (3 * n) >> 2;
      expect(toHex(sha256Js([m.subarray(0, a), m.subarray(a, b), m.subarray(b)]))).toBe(want);
    }
  });

  it('matches node:crypto on random inputs split at random points', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (parts) => {
        const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          whole.set(p, o);
          o += p.length;
        }
        expect(toHex(sha256Js(parts))).toBe(nodeHex(whole));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes views of larger buffers by their own bytes', () => {
    const big = Uint8Array.from({ length: 200 }, (_, i) => i);
    const view = big.subarray(7, 150);
    expect(toHex(sha256Js([view]))).toBe(nodeHex(view));
  });
});
