import { ParseError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
// Built by the first decode (pure, so encode-only bundles drop it).
const REV = /* @__PURE__ */ reverseAlphabet();

function reverseAlphabet(): Int16Array {
  const rev = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) rev[ALPHABET.charCodeAt(i)] = i;
  return rev;
}

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
 * @throws ParseError `base64.length`, `base64.size`, `base64.char`, `base64.trailing`.
 */
export function fromBase64(s: string, what = 'base64', length?: number): Uint8Array {
  // CR and LF are characters like any other invalid one here, unlike in Go.
  const out = decodeChecked(s, s.replace(/[\r\n]/g, '!'), what, length);
  // The one encoding of these bytes; anything else differs only in the unused bits.
  if (toBase64(out) !== s) throw new ParseError('base64.trailing', 'non-zero trailing bits', what);
  return out;
}

/**
 * Base64 decoding with the verdicts of Go's `base64.StdEncoding.DecodeString`
 * (non-strict), which sigsum-go uses for checkpoints, signed-note lines,
 * witness proofs and vkeys: `\r` and `\n` anywhere are skipped, padding is
 * required, and non-zero unused bits in the last group are ignored.
 * Use where byte-exact agreement with Go's accept/reject decisions matters.
 * @param what names the field in error messages.
 * @param length if given, the exact number of decoded bytes required.
 * @throws ParseError `base64.length`, `base64.size`, `base64.char`.
 */
export function fromBase64Go(s: string, what = 'base64', length?: number): Uint8Array {
  const clean = s.replace(/[\r\n]/g, '');
  return decodeChecked(clean, clean, what, length);
}

/** Length and size checks first, then {@link decodeBase64Go} of `forDecode` (`s` with the same length, as errors quote `s`). */
function decodeChecked(s: string, forDecode: string, what: string, length: number | undefined): Uint8Array {
  if (s.length % 4 !== 0) throw new ParseError('base64.length', `length ${s.length} is not a multiple of 4`, what);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const n = (s.length / 4) * 3 - pad;
  if (length !== undefined && n !== length) throw new ParseError('base64.size', `expected ${length} bytes, got ${n}`, what);
  const r = decodeBase64Go(forDecode);
  if ('illegalAt' in r) throw new ParseError('base64.char', `invalid base64 character ${JSON.stringify(s[r.illegalAt])} at offset ${r.illegalAt}`, what);
  return r.bytes;
}

/**
 * Go's `base64.StdEncoding.DecodeString`: CR and LF are skipped anywhere,
 * padding is required and only at the end, the unused low bits of the last
 * group are ignored. A failure gives the offset Go reports in its
 * "illegal base64 data at input byte N" (counted in the input without CR/LF).
 */
export function decodeBase64Go(s: string):
  | {
      /** The decoded bytes. */
      bytes: Uint8Array;
    }
  | {
      /** Offset of the first illegal character, as Go reports it. */
      illegalAt: number;
    } {
  const clean = s.replace(/[\r\n]/g, '');
  const out = new Uint8Array(Math.ceil(clean.length / 4) * 3);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const v = [0, 0, 0, 0];
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const pos = i + j;
      if (pos >= clean.length) return { illegalAt: clean.length };
      const c = clean.charCodeAt(pos);
      if (c === 61 /* = */) {
        // Padding: only in the last two positions of the final group.
        const rest = clean.slice(pos);
        if (!((j === 2 && rest === '==') || (j === 3 && rest === '='))) return { illegalAt: pos };
        break;
      }
      const d = c < 128 ? REV[c]! : -1;
      if (d < 0) return { illegalAt: pos };
      v[j] = d;
      n++;
    }
    if (n < 2) return { illegalAt: i + n };
    const w = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    out[o++] = w >>> 16;
    if (n >= 3) out[o++] = (w >>> 8) & 255;
    if (n === 4) out[o++] = w & 255;
    if (n < 4) break;
  }
  return { bytes: out.slice(0, o) };
}
