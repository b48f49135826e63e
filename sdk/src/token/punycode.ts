/**
 * RFC 3492 Punycode for IDNA labels (the parts after `xn--`), pure and
 * isomorphic (Node's `punycode` module is deprecated and Node-only).
 */
import { ParseError } from '../errors.js';

const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_INT = 0x7fffffff;

function adapt(delta: number, numPoints: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

function digitToChar(d: number): string {
  return String.fromCharCode(d < 26 ? 97 + d : 22 + d); // a-z, 0-9
}

function charToDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 22; // 0-9 → 26..35
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 97; // a-z
  return -1;
}

/** Encode a Unicode label to Punycode (without the `xn--` prefix). */
export function punycodeEncode(label: string): string {
  const cps = Array.from(label, (c) => c.codePointAt(0)!);
  let out = cps.filter((c) => c < 128).map((c) => String.fromCharCode(c)).join('');
  const b = out.length;
  let h = b;
  if (b > 0) out += '-';
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (h < cps.length) {
    let m = MAX_INT;
    for (const c of cps) if (c >= n && c < m) m = c;
    if ((m - n) * (h + 1) > MAX_INT - delta) throw new ParseError('punycode.overflow', 'label too long to encode', 'domain');
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
          if (q < t) break;
          out += digitToChar(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        out += digitToChar(q);
        bias = adapt(delta, h + 1, h === b);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

/**
 * Decode a Punycode label (without the `xn--` prefix).
 * @throws ParseError `punycode.syntax` / `punycode.overflow`.
 */
export function punycodeDecode(input: string): string {
  const out: number[] = [];
  const last = input.lastIndexOf('-');
  // As Go's x/net/idna: a delimiter in first position leaves an empty basic part and is an error.
  if (last === 0) throw new ParseError('punycode.syntax', 'punycode starts with a delimiter', 'domain');
  const basic = last < 0 ? 0 : last;
  for (let j = 0; j < basic; j++) {
    const c = input.charCodeAt(j);
    if (c >= 128) throw new ParseError('punycode.syntax', 'non-ASCII character in punycode', 'domain');
    out.push(c);
  }
  let n = INITIAL_N;
  let i = 0;
  let bias = INITIAL_BIAS;
  for (let pos = last < 0 ? 0 : last + 1; pos < input.length; ) {
    const oldi = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) throw new ParseError('punycode.syntax', 'truncated punycode', 'domain');
      const digit = charToDigit(input.charCodeAt(pos++));
      if (digit < 0) throw new ParseError('punycode.syntax', 'invalid punycode digit', 'domain');
      if (digit > Math.floor((MAX_INT - i) / w)) throw new ParseError('punycode.overflow', 'punycode overflow', 'domain');
      i += digit * w;
      const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (digit < t) break;
      if (w > Math.floor(MAX_INT / (BASE - t))) throw new ParseError('punycode.overflow', 'punycode overflow', 'domain');
      w *= BASE - t;
    }
    const len = out.length + 1;
    bias = adapt(i - oldi, len, oldi === 0);
    if (Math.floor(i / len) > MAX_INT - n) throw new ParseError('punycode.overflow', 'punycode overflow', 'domain');
    n += Math.floor(i / len);
    i %= len;
    if (out.length >= 1024) throw new ParseError('punycode.overflow', 'punycode label too long', 'domain');
    if (n > 0x10ffff) throw new ParseError('punycode.syntax', 'code point beyond U+10FFFF in punycode', 'domain');
    out.splice(i, 0, n);
    i++;
  }
  // Like Go's string([]rune): a surrogate code point becomes U+FFFD.
  return String.fromCodePoint(...out.map((c) => (c >= 0xd800 && c <= 0xdfff ? 0xfffd : c)));
}
