/**
 * The inclusion proof fold of `verify.ts` hashing through `digest` (Node's
 * native hash, else WebCrypto), or with a synchronous hash the caller has,
 * for the proof verifier, which so needs no JavaScript SHA-256 in a browser
 * bundle.
 */
import { digest, type SyncSha256 } from '../crypto/digest.js';
import { bitLength, checkInclusion, nodeMessageBuffer } from './internal.js';

/**
 * `rootFromInclusionProof` (same checks, same verdicts, same root), hashing
 * with `hash` where given (no promise per node), else asynchronously.
 * @throws as `rootFromInclusionProof`.
 */
export async function rootFromInclusionProofAsync(leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[], hash?: SyncSha256): Promise<Uint8Array> {
  checkInclusion(leafHash, index, size, path);
  const last = size - 1n;
  // Below level k the index and the last node differ, so every level has a
  // sibling (left if the index is odd); above it only odd indices have one.
  const k = bitLength(index ^ last);
  const levels = bitLength(last);
  const message = nodeMessageBuffer();
  let r = leafHash;
  for (let i = 0, p = 0; i < levels; i++) {
    const odd = ((index >> BigInt(i)) & 1n) === 1n;
    if (!odd && i >= k) continue;
    const s = path[p++]!;
    message.set(odd ? s : r, 1);
    message.set(odd ? r : s, 33);
    r = hash ? hash(message) : await digest(message);
  }
  return r === leafHash ? r.slice() : r;
}
