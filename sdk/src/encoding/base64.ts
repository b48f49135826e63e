import { ParseError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const REV = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) REV[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return s;
}

/**
 * Strict standard base64 decoding: padding required, no whitespace, and the
 * unused bits of the last group must be zero (so each value has exactly one
 * encoding).
 * @param what names the field in error messages.
 * @param length if given, the exact number of decoded bytes required.
 */
export function fromBase64(s: string, what = 'base64', length?: number): Uint8Array {
  return decodeBase64(s, what, length, true);
}

/**
 * Base64 decoding with the verdicts of Go's `base64.StdEncoding.DecodeString`
 * (non-strict), which sigsum-go uses for checkpoints, signed-note lines,
 * witness proofs and vkeys: `\r` and `\n` anywhere are skipped, padding is
 * required, and non-zero unused bits in the last group are ignored.
 * Use where byte-exact agreement with Go's accept/reject decisions matters.
 * @param what names the field in error messages.
 * @param length if given, the exact number of decoded bytes required.
 */
export function fromBase64Go(s: string, what = 'base64', length?: number): Uint8Array {
  return decodeBase64(s.replace(/[\r\n]/g, ''), what, length, false);
}

function decodeBase64(s: string, what: string, length: number | undefined, strictBits: boolean): Uint8Array {
  if (s.length % 4 !== 0) throw new ParseError('base64.length', `length ${s.length} is not a multiple of 4`, what);
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const n = (s.length / 4) * 3 - pad;
  if (length !== undefined && n !== length) {
    throw new ParseError('base64.size', `expected ${length} bytes, got ${n}`, what);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const v: number[] = [];
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      if (last && c === 61 /* = */ && j >= 4 - pad) {
        v.push(0);
        continue;
      }
      const d = c < 128 ? REV[c]! : -1;
      if (d < 0) throw new ParseError('base64.char', `invalid base64 character ${JSON.stringify(s[i + j])} at offset ${i + j}`, what);
      v.push(d);
    }
    const w = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (strictBits && last && pad === 2 && (w & 0xffff) !== 0) throw new ParseError('base64.trailing', 'non-zero trailing bits', what);
    if (strictBits && last && pad === 1 && (w & 0xff) !== 0) throw new ParseError('base64.trailing', 'non-zero trailing bits', what);
    out[o++] = w >> 16;
    if (o < n) out[o++] = (w >> 8) & 255;
    if (o < n) out[o++] = w & 255;
  }
  return out;
}
