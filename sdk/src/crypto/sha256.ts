import { concatBytes } from '../encoding/bytes.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { nativeSha256, registerSyncSha256 } from './digest.js';

// The pure-JS hash, registered as the synchronous fallback (see `digest.ts`)
// only in bundles that use `sha256` below: the call is marked pure, so a
// bundle that never hashes synchronously drops it together with @noble/hashes.
const noble = /* @__PURE__ */ registerSyncSha256((data) => nobleSha256(data));

/** SHA-256 of the concatenation of `parts` (synchronous; Node's native hash where present, else @noble/hashes). */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return (nativeSha256() ?? noble)(parts.length === 1 ? parts[0]! : concatBytes(...parts));
}

/** Size of a SHA-256 hash and of every Sigsum hash value. */
export const HASH_SIZE = 32;
