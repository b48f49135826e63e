import { concatBytes } from '../encoding/bytes.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** Node's one-shot `crypto.hash` (Node ≥ 20.12), reached without an import so that browser bundles never see it. */
type NodeHash = (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'latin1') => string;

// `process.getBuiltinModule` is how isomorphic code reaches a Node built-in
// synchronously; browsers have no `process`, so they hash with @noble/hashes.
// On Node the native hash is 2–9× faster for the 32–129-byte inputs Sigsum
// hashes. Looked up on the first hash, not at import: loading Node's crypto
// module costs milliseconds that a command which never hashes should not pay.
function nativeHash(): NodeHash | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('crypto') as { hash?: NodeHash } | undefined;
  return typeof mod?.hash === 'function' ? mod.hash : undefined;
}

let native: NodeHash | undefined | null = null;

/** SHA-256 of the concatenation of `parts` (synchronous; Node's native hash where present, else @noble/hashes). */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (native === null) native = nativeHash();
  if (native !== undefined) {
    // The digest as a latin1 string (one char per byte), copied into a plain
    // Uint8Array: about a third of the cost of a 'buffer' digest, which makes
    // a Node Buffer (and takes a slow path to accept the encoding name).
    const s = native('sha256', parts.length === 1 ? parts[0]! : concatBytes(...parts), 'latin1');
    const out = new Uint8Array(HASH_SIZE);
    for (let i = 0; i < HASH_SIZE; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  return nobleSha256(parts.length === 1 ? parts[0]! : concatBytes(...parts));
}

/** Size of a SHA-256 hash and of every Sigsum hash value. */
export const HASH_SIZE = 32;
