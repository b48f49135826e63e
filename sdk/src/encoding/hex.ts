import { ParseError } from '../errors.js';

const HEX = '0123456789abcdef';
// Character codes of the two digits of every byte value (high digit at 2v, low at 2v + 1).
const DIGITS = Uint8Array.from({ length: 512 }, (_, i) => HEX.charCodeAt(i & 1 ? (i >> 1) & 15 : i >> 5));
// Reused arrays of character codes, one per input length up to CHUNK bytes:
// String.fromCharCode makes the string in one allocation, where appending two
// digits at a time makes one string per byte (hex is on every proof's path).
const CHUNK = 64;
const codes: number[][] = [];

function hexChunk(b: Uint8Array, from: number, to: number): string {
  const n = to - from;
  const c = (codes[n] ??= new Array<number>(2 * n).fill(0));
  for (let i = 0; i < n; i++) {
    const v = b[from + i]! << 1;
    c[2 * i] = DIGITS[v]!;
    c[2 * i + 1] = DIGITS[v + 1]!;
  }
  return String.fromCharCode.apply(null, c);
}

/** Lowercase hex encoding. */
export function toHex(b: Uint8Array): string {
  if (b.length <= CHUNK) return hexChunk(b, 0, b.length);
  let s = '';
  for (let i = 0; i < b.length; i += CHUNK) s += hexChunk(b, i, Math.min(i + CHUNK, b.length));
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F (Go's encoding/hex accepts upper case)
  return -1;
}

/**
 * Decode hex, case-insensitive like Go's `encoding/hex`.
 * @param what names the field in error messages.
 * @param length if given, the exact number of bytes required.
 * @throws ParseError on odd length, a non-hex character, or a wrong length.
 */
export function fromHex(s: string, what = 'hex', length?: number): Uint8Array {
  if (length !== undefined && s.length !== 2 * length) {
    throw new ParseError('hex.length', `expected ${length} bytes (${2 * length} hex digits), got ${s.length} characters`, what);
  }
  if (s.length % 2 !== 0) throw new ParseError('hex.odd', 'odd number of hex digits', what);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      const pos = hi < 0 ? 2 * i : 2 * i + 1;
      throw new ParseError('hex.char', `invalid hex character ${JSON.stringify(s[pos])} at offset ${pos}`, what);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}
