import { ParseError } from '../errors.js';

const HEX = '0123456789abcdef';
const LUT: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

/** Lowercase hex encoding. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += LUT[b[i]!];
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
