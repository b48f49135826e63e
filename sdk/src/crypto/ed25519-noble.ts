/**
 * The pure-JS Ed25519 path on @noble/ed25519's curve arithmetic, with Go's
 * verdicts (see `ed25519.ts` for the rules). Browsers whose WebCrypto passes
 * the conformance probe never load this module for verification; signing
 * with a seed and deriving public keys use it everywhere.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, isBytes } from './ed25519.js';

ed.hashes.sha512 = sha512;

/** Order of the Ed25519 base point. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function bytesToNumberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Verify with the pure-JS path (synchronous): Go's algorithm on noble's curve
 * arithmetic. noble's own `verify` cannot be used: in strict mode
 * (`zip215: false`) it rejects every small-order public key (Go accepts them)
 * and uses the cofactored equation (accepting low-order residues that Go
 * rejects). On the CCTV vectors it refuses 122 that Go accepts and accepts
 * 126 that Go rejects; its 212 accepted against Go's 208 only looks close.
 * Returns false for malformed input; never throws.
 */
export function verifyNobleSync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!isBytes(publicKey, PUBLIC_KEY_SIZE) || !isBytes(signature, SIGNATURE_SIZE) || !(message instanceof Uint8Array)) return false;
  // Go first rejects S ≥ 2^253 by its top three bits, then any S ≥ L.
  if ((signature[63]! & 0xe0) !== 0) return false;
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= L) return false;
  let a: ed.Point;
  try {
    // zip215 decoding = Go's edwards25519 SetBytes: y is not required to be < p.
    a = ed.Point.fromBytes(publicKey, true);
  } catch {
    return false;
  }
  const r = signature.subarray(0, 32);
  const h = sha512.create();
  h.update(r);
  h.update(publicKey);
  h.update(message);
  const k = bytesToNumberLE(h.digest()) % L;
  // R' = [S]B − [k]A; scalars are public, so the variable-time ladder is fine.
  const rCheck = ed.Point.BASE.multiply(s, false).subtract(a.multiply(k, false));
  return sameBytes(rCheck.toBytes(), r);
}

/** {@link verifyNobleSync} as a promise, the shape of {@link verify}. */
export function verifyNoble(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return Promise.resolve(verifyNobleSync(publicKey, message, signature));
}

/** Derive the public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/** Sign synchronously with a 32-byte seed (deterministic, RFC 8032). */
export function signWithSeed(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** A fresh random 32-byte seed from the platform's CSPRNG. */
export function randomSeed(): Uint8Array {
  return ed.utils.randomSecretKey();
}
