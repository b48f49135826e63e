/**
 * The internal replication protocol between a primary and its secondary
 * (modelled on log-go): endpoint names, the optional shared bearer token,
 * and one bounded HTTP GET. Everything travels as Sigsum ASCII bodies.
 *
 * Primary's internal listener:
 * - `get-tree-head-unsigned`          size and root of the primary's durable (integrated) tree
 * - `get-tree-head-unsigned/<size>`   its root at an earlier size
 * - `get-leaves/<start>/<end>`        integrated leaves, published or not; 404 at the end of the tree
 *
 * log-go's primary serves only `get-leaves` (and `/metrics`) there, under
 * its URL prefix: a secondary following it checks leaves against the
 * primary's public, log-signed tree head instead (secondary.ts).
 *
 * Secondary's internal listener:
 * - `get-secondary-tree-head`         the secondary's tree head, signed with the secondary's own key
 */
import { timingSafeEqual } from 'node:crypto';
import { utf8 } from '@sigsum-kit/sdk';
import { httpRequest, type HttpResponse } from '@sigsum-kit/sdk/internal';

/** Endpoint names of the internal replication API. */
export const REPLICATION_ENDPOINTS = {
  treeHeadUnsigned: 'get-tree-head-unsigned',
  leaves: 'get-leaves',
  secondaryTreeHead: 'get-secondary-tree-head',
} as const;

/** Which internal API a primary offers: ours (with `get-tree-head-unsigned`) or log-go's (`get-leaves` only). */
export type ReplicationApi = 'sigsum-kit' | 'log-go';

/** Largest internal answer read (512 leaves are ~170 KiB; generous headroom). */
export const MAX_INTERNAL_BODY = 8 << 20;

/** Ensure a base URL ends in `/` so endpoint names can be appended. */
export function baseUrl(url: string): string {
  if (!/^https?:\/\//i.test(url)) throw new TypeError(`expected an http(s) URL, got ${JSON.stringify(url)}`);
  return url.endsWith('/') ? url : url + '/';
}

/** The `Authorization` header value for a shared token (none when the token is empty). */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Whether an `Authorization` header carries the shared token. With no token
 * configured every request passes. Constant-time comparison.
 */
export function tokenMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const got = utf8(header.slice('Bearer '.length));
  const want = utf8(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** One GET on the internal API: no retries (callers poll), bounded body, short timeout. */
export async function internalGet(url: string, token: string | undefined, timeoutMs: number): Promise<HttpResponse> {
  return httpRequest({ method: 'GET', url, headers: authHeaders(token), retries: 0, timeoutMs, maxBodyBytes: MAX_INTERNAL_BODY });
}

/** A short human-readable reason for a failed internal request (SDK errors already name the URL). */
export function describeFailure(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
