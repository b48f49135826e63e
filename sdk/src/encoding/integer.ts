import { ParseError, OutOfRangeError } from '../errors.js';

/** Largest value of a Sigsum integer: 2^63 − 1. */
export const MAX_UINT63 = (1n << 63n) - 1n;
/** Largest unsigned 64-bit value (cosignature timestamps): 2^64 − 1. */
export const MAX_UINT64 = (1n << 64n) - 1n;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parse a Sigsum decimal integer: `0|[1-9][0-9]*`, at most 2^63 − 1.
 * @param what names the field in error messages.
 */
export function parseUint63(s: string, what = 'integer'): bigint {
  if (!DECIMAL.test(s)) throw new ParseError('integer.syntax', `invalid decimal integer ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)}`, what);
  // 2^63-1 has 19 digits; check length first so huge inputs are not converted.
  if (s.length > 19) throw new ParseError('integer.range', 'integer exceeds 2^63-1', what);
  const v = BigInt(s);
  if (v > MAX_UINT63) throw new ParseError('integer.range', 'integer exceeds 2^63-1', what);
  return v;
}

/**
 * Convert a wire integer to a JS number for log-side arithmetic.
 * @throws OutOfRangeError above 2^53 − 1 (Number.MAX_SAFE_INTEGER), never rounds.
 */
export function toSafeNumber(v: bigint, what = 'integer'): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new OutOfRangeError('integer.unsafe', `${v} is outside the supported range 0..2^53-1`, what);
  }
  return Number(v);
}
