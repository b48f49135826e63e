/**
 * The `sigsum-token: <domain> <hex signature>` header and its verification
 * against the public keys published as TXT records at `_sigsum_v1.<domain>`.
 * Parsing, domain normalization and the key checks are the SDK's `token`
 * module (sigsum-go's verdicts); this file adds the DNS look-up and the
 * canonical A-label form the rate limiter counts by.
 */
import { ParseError, VerificationError, normalizeDomainName, parseTokenHeader, toHex, txtRecordName, verifyTokenWithRecords, MAX_TOKEN_KEYS } from '@sigsum-kit/sdk';
import { canonicalDomain } from './domain.js';
import type { TxtResolver } from './dns.js';

/**
 * Tokens already verified against one DNS answer. A domain's token is the same
 * for every request (a deterministic signature over the log key), so while the
 * resolver serves the same cached answer object the Ed25519 check need not be
 * repeated; a fresh answer (TTL expired) is a new object and is checked again.
 * Only valid tokens are stored: at most one per key per log key.
 */
const verifiedTokens = new WeakMap<object, Set<string>>();

/** A header longer than this cannot be a domain plus a 128-digit signature. */
const MAX_HEADER_LENGTH = 1024;

/** A parsed `sigsum-token` header. */
export interface SubmitTokenHeader {
  /** Canonical domain (lower-case A-labels), used for the DNS query and for counting. */
  readonly domain: string;
  /** The 64-byte signature. */
  readonly signature: Uint8Array;
}

/**
 * Parse the header value: the SDK's `parseTokenHeader` and `normalizeDomainName`,
 * then the canonical A-label form (which must be a valid host name).
 * @throws ParseError (`token.header`, `hex.*`, `domain.*`).
 */
export function parseSubmitTokenHeader(value: string): SubmitTokenHeader {
  if (value.length > MAX_HEADER_LENGTH) throw new ParseError('token.header', `longer than ${MAX_HEADER_LENGTH} characters`, 'sigsum-token');
  const header = parseTokenHeader(value);
  const domain = canonicalDomain(normalizeDomainName(header.domain), 'sigsum-token domain');
  // The TXT name must itself be a valid DNS name.
  if (txtRecordName(domain).length > 253) throw new ParseError('domain.invalid', `too long for ${txtRecordName('')}<domain> to be a DNS name`, 'sigsum-token domain');
  return { domain, signature: header.token };
}

/** The name whose TXT records hold the keys of `domain`. */
export function tokenTxtName(domain: string): string {
  return txtRecordName(domain);
}

/**
 * Verify a token against the keys of its domain: the first `MAX_TOKEN_KEYS`
 * (10) records are tried, records that are not a hex key are skipped.
 * @throws VerificationError (`token.no-keys`, `token.signature`) when no key verifies;
 *   DnsError from the resolver when the look-up fails.
 */
export async function verifySubmitToken(token: SubmitTokenHeader, logPublicKey: Uint8Array, resolver: TxtResolver): Promise<void> {
  const name = tokenTxtName(token.domain);
  const answer = await resolver.resolveTxt(name);
  const { records } = answer;
  if (records.length === 0) throw new VerificationError('token.no-keys', `no TXT records at ${name}`);
  const cacheKey = `${toHex(logPublicKey)} ${toHex(token.signature)}`;
  if (verifiedTokens.get(answer)?.has(cacheKey)) return;
  const result = await verifyTokenWithRecords(records, logPublicKey, token.signature);
  if (result.valid) {
    let known = verifiedTokens.get(answer);
    if (known === undefined) verifiedTokens.set(answer, (known = new Set()));
    known.add(cacheKey);
    return;
  }
  const tried = Math.min(records.length, MAX_TOKEN_KEYS);
  throw new VerificationError(
    'token.signature',
    `signature does not verify with any key at ${name} (${tried - result.badKeys} tried, ${result.badKeys} malformed, ${result.ignoredKeys} ignored beyond the first ${MAX_TOKEN_KEYS})`,
  );
}
