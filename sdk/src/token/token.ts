/**
 * Submit tokens (sigsum-go `pkg/submit-token`): a rate-limit key signs the
 * log's 32-byte public key under the namespace `sigsum.org/v1/submit-token`;
 * the submitter sends `Sigsum-Token: <domain> <hex signature>`, and the log
 * finds the rate-limit public key (hex) in TXT records at `_sigsum_v1.<domain>`.
 */
import { ParseError } from '../errors.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, type Signer } from '../crypto/ed25519.js';
import { SUBMIT_TOKEN_NAMESPACE, signNamespaced, verifyNamespaced } from '../crypto/namespace.js';

/** HTTP header carrying the token (header names are case-insensitive). */
export const TOKEN_HEADER_NAME = 'Sigsum-Token';
/** DNS label under which rate-limit keys are published. */
export const TOKEN_DNS_LABEL = '_sigsum_v1';
/** Most TXT records a log considers (sigsum-go `maxNumberOfKeys`); the rest are ignored. */
export const MAX_TOKEN_KEYS = 10;

/** A parsed `sigsum-token` header value. */
export interface TokenHeader {
  /** Domain as sent (not normalized). */
  readonly domain: string;
  /** 64-byte token signature. */
  readonly token: Uint8Array;
}

/** Create a submit token for a log: Ed25519 under `sigsum.org/v1/submit-token` over the log's public key. */
export function createToken(signer: Signer, logPublicKey: Uint8Array): Promise<Uint8Array> {
  if (logPublicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError(`log public key must be ${PUBLIC_KEY_SIZE} bytes`);
  return signNamespaced(signer, SUBMIT_TOKEN_NAMESPACE, logPublicKey);
}

/** Verify a submit token with a rate-limit public key. Never throws on bad input: returns false. */
export function verifyToken(rateLimitPublicKey: Uint8Array, logPublicKey: Uint8Array, token: Uint8Array): Promise<boolean> {
  if (logPublicKey.length !== PUBLIC_KEY_SIZE) return Promise.resolve(false);
  return verifyNamespaced(rateLimitPublicKey, SUBMIT_TOKEN_NAMESPACE, logPublicKey, token);
}

/**
 * Parse a header value `<domain> <hex token>` as sigsum-go's `SubmitHeader.FromHeader`:
 * exactly one space, non-empty domain, 64-byte hex token (either case).
 * @throws ParseError `token.header` or `hex.*`.
 */
export function parseTokenHeader(value: string): TokenHeader {
  const parts = value.split(' ');
  if (parts.length !== 2) throw new ParseError('token.header', `expected <domain> <hex token>, got ${parts.length} space-separated parts`, TOKEN_HEADER_NAME);
  if (parts[0] === '') throw new ParseError('token.header', 'empty domain', TOKEN_HEADER_NAME);
  const token = fromHex(parts[1]!, `${TOKEN_HEADER_NAME} token`, SIGNATURE_SIZE);
  return { domain: parts[0]!, token };
}

/** Format a header value `<domain> <lowercase hex token>`. */
export function formatTokenHeader(h: TokenHeader): string {
  if (h.domain === '' || /[\s]/.test(h.domain)) throw new TypeError(`invalid token domain ${JSON.stringify(h.domain)}`);
  if (h.token.length !== SIGNATURE_SIZE) throw new TypeError(`token must be ${SIGNATURE_SIZE} bytes`);
  return `${h.domain} ${toHex(h.token)}`;
}

/** DNS name holding a domain's rate-limit keys: `_sigsum_v1.<domain>`. */
export function txtRecordName(domain: string): string {
  return `${TOKEN_DNS_LABEL}.${domain}`;
}

/**
 * Parse a TXT record value: the hex rate-limit public key (either case).
 * @throws ParseError `hex.*`.
 */
export function parseTxtRecord(value: string): Uint8Array {
  return fromHex(value, 'TXT record', PUBLIC_KEY_SIZE);
}

/** A zone-file line publishing a rate-limit key, as `sigsum-token record` prints it (without newline). */
export function formatTxtRecordLine(rateLimitPublicKey: Uint8Array): string {
  if (rateLimitPublicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError(`public key must be ${PUBLIC_KEY_SIZE} bytes`);
  return `${TOKEN_DNS_LABEL} IN TXT "${toHex(rateLimitPublicKey)}"`;
}

/** Outcome of {@link verifyTokenWithRecords}. */
export interface TokenRecordsResult {
  /** True when one of the considered keys verifies the token. */
  readonly valid: boolean;
  /** Records beyond {@link MAX_TOKEN_KEYS} that were not considered. */
  readonly ignoredKeys: number;
  /** Considered records that were not a hex public key. */
  readonly badKeys: number;
}

/**
 * Check a token against the TXT records of `_sigsum_v1.<domain>` as sigsum-go's
 * `DnsVerifier`: only the first {@link MAX_TOKEN_KEYS} records count, malformed
 * ones are skipped, any verifying key accepts.
 */
export async function verifyTokenWithRecords(records: readonly string[], logPublicKey: Uint8Array, token: Uint8Array): Promise<TokenRecordsResult> {
  const ignoredKeys = Math.max(0, records.length - MAX_TOKEN_KEYS);
  let badKeys = 0;
  for (const r of records.slice(0, MAX_TOKEN_KEYS)) {
    let key: Uint8Array;
    try {
      key = parseTxtRecord(r);
    } catch {
      badKeys++;
      continue;
    }
    if (await verifyToken(key, logPublicKey, token)) return { valid: true, ignoredKeys, badKeys };
  }
  return { valid: false, ignoredKeys, badKeys };
}
