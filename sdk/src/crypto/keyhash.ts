import { sha256 } from './sha256.js';

/** Sigsum key hash: SHA-256 of the raw 32-byte Ed25519 public key. */
export function keyHash(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey);
}
