/**
 * SHA-256 for the verification path, without a JavaScript SHA-256 up front.
 * The synchronous `sha256()` of `sha256.ts` registers its @noble/hashes
 * fallback here when a bundle uses it; this module never imports it, so a
 * bundle of the verifier alone has no synchronous hash in a browser and
 * hashes with WebCrypto's `subtle.digest`, or, in pages without
 * `crypto.subtle` (insecure contexts), with @noble/hashes imported then.
 */
import { plain, subtle } from './webcrypto.js';

/** A synchronous one-shot SHA-256. */
export type SyncSha256 = (data: Uint8Array) => Uint8Array;

/** Node's one-shot `crypto.hash` (Node ≥ 20.12), reached without an import so that browser bundles never see it. */
type NodeHash = (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'latin1') => string;

// `process.getBuiltinModule` is how isomorphic code reaches a Node built-in
// synchronously. On Node the native hash is 2–9× faster than @noble/hashes for
// the 32–129-byte inputs Sigsum hashes. Looked up on the first hash, not at
// import: loading Node's crypto module costs milliseconds that a command which
// never hashes should not pay.
function lookupNative(): SyncSha256 | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const hash = (proc?.getBuiltinModule?.('crypto') as { hash?: NodeHash } | undefined)?.hash;
  if (typeof hash !== 'function') return undefined;
  return (data) => {
    // The digest as a latin1 string (one char per byte), copied into a plain
    // Uint8Array: about a third of the cost of a 'buffer' digest, which makes
    // a Node Buffer (and takes a slow path to accept the encoding name).
    const s = hash('sha256', data, 'latin1');
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = s.charCodeAt(i);
    return out;
  };
}

let native: SyncSha256 | undefined | null = null;

/** Node's native SHA-256, or undefined where the runtime has none (browsers). */
export function nativeSha256(): SyncSha256 | undefined {
  if (native === null) native = lookupNative();
  return native;
}

let registered: SyncSha256 | undefined;

/** Make `h` the synchronous fallback where there is no native hash (undefined: none, as in a bundle without `sha256()`); returns `h`. */
export function registerSyncSha256<H extends SyncSha256 | undefined>(h: H): H {
  registered = h;
  return h;
}

/** A synchronous SHA-256 if this runtime or bundle has one: the native hash, else the registered fallback. */
export function syncSha256(): SyncSha256 | undefined {
  return nativeSha256() ?? registered;
}

/**
 * SHA-256 of `data`: the synchronous hash where there is one (Node's native
 * hash, or the bundle's @noble/hashes: a few microseconds, where a WebCrypto
 * call costs tens), else WebCrypto, else @noble/hashes loaded on first use.
 * All give the same bytes.
 */
export async function digest(data: Uint8Array): Promise<Uint8Array> {
  const n = syncSha256();
  if (n !== undefined) return n(data);
  const sc = subtle();
  if (sc !== undefined) return new Uint8Array(await sc.digest('SHA-256', plain(data)));
  return (await import('./sha256-noble.js')).sha256(data);
}
