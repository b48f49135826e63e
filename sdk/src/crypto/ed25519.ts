/**
 * Ed25519 (RFC 8032) with Go's verdicts: `crypto/ed25519` semantics (strict
 * S < L, cofactorless equation, reject non-canonical R and low-order residue).
 *
 * Two verification paths give the same answers: WebCrypto where the runtime
 * has Ed25519 (Node 20, current Chromium; ~10x faster) and @noble/ed25519.
 * TODO(crypto owner): pin noble options + extra checks so both paths match the
 * CCTV vectors exactly; feature detection of WebCrypto.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

/** Size of an Ed25519 public key. */
export const PUBLIC_KEY_SIZE = 32;
/** Size of an Ed25519 signature. */
export const SIGNATURE_SIZE = 64;
/** Size of an Ed25519 private key seed. */
export const SEED_SIZE = 32;

/** Something that signs with an Ed25519 key whose public half is known. */
export interface Signer {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Sign `message` (raw Ed25519, no namespace). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Derive the public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/** Sign synchronously with a 32-byte seed (deterministic, RFC 8032). */
export function signWithSeed(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** A {@link Signer} holding its seed in memory. */
export class SeedSigner implements Signer {
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;
  constructor(seed: Uint8Array) {
    if (seed.length !== SEED_SIZE) throw new TypeError(`Ed25519 seed must be ${SEED_SIZE} bytes`);
    this.#seed = seed.slice();
    this.publicKey = publicKeyFromSeed(this.#seed);
  }
  /** A fresh random key. */
  static generate(): SeedSigner {
    return new SeedSigner(ed.utils.randomSecretKey());
  }
  /** The seed; handle with care. */
  exportSeed(): Uint8Array {
    return this.#seed.slice();
  }
  sign(message: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(signWithSeed(this.#seed, message));
  }
  signSync(message: Uint8Array): Uint8Array {
    return signWithSeed(this.#seed, message);
  }
}

/** Verify an Ed25519 signature with Go's verdicts. Never throws on bad input: returns false. */
export async function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_SIZE || signature.length !== SIGNATURE_SIZE) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
