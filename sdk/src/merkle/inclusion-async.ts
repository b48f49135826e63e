/**
 * The inclusion proof fold of `verify.ts` hashing through `digest` (Node's
 * native hash, else WebCrypto), for the asynchronous proof verification path,
 * which so needs no JavaScript SHA-256 in a browser bundle; and the same fold
 * with a synchronous hash the caller has (the synchronous path in Node).
 */
import { digest, type SyncSha256 } from '../crypto/digest.js';
import { bitLength, checkInclusion, nodeMessageBuffer } from './internal.js';

/**
 * `rootFromInclusionProof` (same checks, same verdicts, same root), hashing asynchronously.
 * @throws as `rootFromInclusionProof`.
 */
export async function rootFromInclusionProofAsync(leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[]): Promise<Uint8Array> {
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
    r = await digest(message);
  }
  return r === leafHash ? r.slice() : r;
}

/**
 * `rootFromInclusionProof` (same checks, same verdicts, same root) with the
 * synchronous hash `hash`, without importing the SDK's own `sha256`.
 * @throws as `rootFromInclusionProof`.
 */
export function rootFromInclusionProofWith(hash: SyncSha256, leafHash: Uint8Array, index: bigint, size: bigint, path: readonly Uint8Array[]): Uint8Array {
  checkInclusion(leafHash, index, size, path);
  const last = size - 1n;
  const k = bitLength(index ^ last);
  const levels = bitLength(last);
  // The index's bits from two 32-bit halves: no bigint work in the loop.
  const lo = Number(index & 0xffffffffn);
  const hi = Number(index >> 32n);
  const message = nodeMessageBuffer();
  let r = leafHash;
  for (let i = 0, p = 0; i < levels; i++) {
    const odd = (i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1) === 1;
    if (!odd && i >= k) continue;
    const s = path[p++]!;
    message.set(odd ? s : r, 1);
    message.set(odd ? r : s, 33);
    r = hash(message);
  }
  return r === leafHash ? r.slice() : r;
}
