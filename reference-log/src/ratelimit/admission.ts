/**
 * The add-leaf admission hook of the reference log's server (`admitLeaf`):
 * runs the rate limiter on a verified leaf and turns a refusal into the HTTP
 * status and message of the response.
 */
import type { Refusal, SubmissionRequest } from '../server/add-leaf.js';
import type { RateLimiter } from './limiter.js';

/** Header carrying the submit token (Fastify lower-cases header names). */
export const TOKEN_HEADER = 'sigsum-token';

/** Bytes of a leaf: checksum (32) || signature (64) || key hash (32). */
const KEY_HASH_OFFSET = 96;
const LEAF_SIZE = 128;

/** What the hook needs from a request: its headers (the server's {@link SubmissionRequest}). */
export type AdmissionRequest = SubmissionRequest;

/** A refusal for the server to answer with (the server's {@link Refusal}). */
export type AdmissionRefusal = Refusal;

/** Options of {@link rateLimitAdmission}. */
export interface AdmissionOptions {
  /**
   * Whether a leaf is in the log already. Such a leaf is admitted without
   * touching the quota (log-go likewise gives the quota back for known leaves),
   * so re-submitting an old leaf never costs anything.
   */
  isKnownLeaf?: (leafHash: Uint8Array) => boolean;
}

/**
 * Build the `admitLeaf` hook. The key hash is taken from the verified leaf
 * (not from the request), so it cannot be spoofed. A repeated header is a
 * malformed token (403).
 */
export function rateLimitAdmission(
  limiter: RateLimiter,
  options: AdmissionOptions = {},
): (req: AdmissionRequest, leaf: { leaf: Uint8Array; leafHash: Uint8Array }) => Promise<AdmissionRefusal | undefined> {
  return async (req, { leaf, leafHash }) => {
    if (!limiter.enabled) return undefined;
    if (leaf.length !== LEAF_SIZE) throw new TypeError(`leaf must be ${LEAF_SIZE} bytes, got ${leaf.length}`);
    if (options.isKnownLeaf?.(leafHash)) return undefined;
    const raw = req.headers[TOKEN_HEADER];
    if (Array.isArray(raw)) return { status: 403, message: `invalid sigsum-token header: sent ${raw.length} times, expected once` };
    const result = await limiter.check({ submitterKeyHash: leaf.subarray(KEY_HASH_OFFSET), leafHash, tokenHeader: raw });
    return result.allowed ? undefined : { status: result.status, message: result.message };
  };
}
