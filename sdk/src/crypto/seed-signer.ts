/** Signing with an Ed25519 seed held in memory. */
import { SEED_SIZE, constHex, ed25519Backend, plain, subtle, type Signer } from './ed25519.js';
import { publicKeyFromSeed, randomSeed, signWithSeed } from './ed25519-noble.js';

// PKCS#8 (RFC 8410) wrapping of a raw Ed25519 seed, for WebCrypto import.
const PKCS8_PREFIX = constHex('302e020100300506032b657004220420');

async function importSigningKey(seed: Uint8Array): Promise<CryptoKey | null> {
  const sc = subtle();
  // WebCrypto signs wherever a native path passed the probe (Node's WebCrypto is
  // the same OpenSSL); an engine without Ed25519 fails the import below.
  if (sc === undefined || (await ed25519Backend()) === 'noble') return null;
  const der = new Uint8Array(PKCS8_PREFIX.length + SEED_SIZE);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  try {
    return await sc.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  } catch {
    return null;
  } finally {
    der.fill(0);
  }
}

/**
 * A {@link Signer} holding its seed in memory. `sign` uses a non-extractable
 * WebCrypto key when available (same bytes: Ed25519 signing is
 * deterministic) and noble otherwise; `signSync` always uses noble.
 */
export class SeedSigner implements Signer {
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;
  #webKey: Promise<CryptoKey | null> | undefined;
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) throw new TypeError(`Ed25519 seed must be ${SEED_SIZE} bytes`);
    this.#seed = seed.slice();
    this.publicKey = publicKeyFromSeed(this.#seed);
  }
  /** A fresh random key. */
  static generate(): SeedSigner {
    return new SeedSigner(randomSeed());
  }
  /** The seed; handle with care. */
  exportSeed(): Uint8Array {
    return this.#seed.slice();
  }
  /** Sign `message` (raw Ed25519, no namespace). */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    this.#webKey ??= importSigningKey(this.#seed);
    const key = await this.#webKey;
    if (key !== null) {
      const sc = subtle()!;
      return new Uint8Array(await sc.sign({ name: 'Ed25519' }, key, plain(message)));
    }
    return signWithSeed(this.#seed, message);
  }
  /** Sign synchronously with noble. */
  signSync(message: Uint8Array): Uint8Array {
    return signWithSeed(this.#seed, message);
  }
}
