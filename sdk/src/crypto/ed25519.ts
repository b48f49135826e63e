/**
 * Ed25519 (RFC 8032) with the verdicts of Go's `crypto/ed25519`, which is
 * what sigsum-go uses:
 *
 * - S must be canonical (S < L); S ≥ L is rejected.
 * - A is decoded leniently (any y < 2^255, including y ≥ p, and x = 0 with the
 *   sign bit set), and the challenge hashes the public key bytes as given.
 * - R is never decoded: [S]B − [k]A is computed and its canonical encoding must
 *   equal the 32 R bytes. So a non-canonical R never verifies.
 * - The equation is cofactorless, so a low-order residue never verifies, but
 *   low-order public keys are not refused on their own.
 *
 * Two verification paths give these verdicts: WebCrypto (fast, native) where
 * the runtime has Ed25519 and passes a conformance probe, and a pure-JS path
 * built on @noble/ed25519's curve arithmetic. Both are exported so that tests
 * can run every vector through each.
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

/** Order of the Ed25519 base point. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** Something that signs with an Ed25519 key whose public half is known. */
export interface Signer {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Sign `message` (raw Ed25519, no namespace). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Which implementation {@link verify} and {@link SeedSigner.sign} use. */
export type Ed25519Backend = 'webcrypto' | 'noble';

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

// WebCrypto takes ArrayBuffer-backed views; copy only views of other buffers.
function plain(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

function isBytes(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
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

function subtle(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: Crypto }).crypto?.subtle;
}

// Imported WebCrypto keys, least recently used first. Log and witness keys
// repeat, and an import costs about as much as a third of a verification.
const KEY_CACHE_MAX = 64;
const keyCache = new Map<string, Promise<CryptoKey | null>>();

function keyId(publicKey: Uint8Array): string {
  let s = '';
  for (let i = 0; i < publicKey.length; i++) s += String.fromCharCode(publicKey[i]!);
  return s;
}

function importVerifyKey(sc: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey | null> {
  const id = keyId(publicKey);
  const hit = keyCache.get(id);
  if (hit !== undefined) {
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  // A key WebCrypto cannot decode is not a valid point: Go rejects it too.
  const p = sc.importKey('raw', publicKey.slice(), { name: 'Ed25519' }, false, ['verify']).then(
    (k) => k,
    () => null,
  );
  keyCache.set(id, p);
  if (keyCache.size > KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  return p;
}

/** Empty the WebCrypto public key cache (for benchmarks and tests). */
export function clearEd25519KeyCache(): void {
  keyCache.clear();
}

/**
 * Verify with WebCrypto (`crypto.subtle`, algorithm `Ed25519`). Node 20
 * (OpenSSL) gives Go's verdict on every CCTV vector; other engines are only
 * used by {@link verify} after passing the conformance probe.
 * @throws Error if the runtime has no WebCrypto Ed25519 (see {@link ed25519Backend}).
 */
export async function verifyWebCrypto(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const sc = subtle();
  if (sc === undefined) throw new Error('WebCrypto is not available in this runtime');
  if (!isBytes(publicKey, PUBLIC_KEY_SIZE) || !isBytes(signature, SIGNATURE_SIZE) || !(message instanceof Uint8Array)) return false;
  // OpenSSL checks S < L itself; the cheap pre-check keeps all engines honest.
  if ((signature[63]! & 0xe0) !== 0) return false;
  const key = await importVerifyKey(sc, publicKey);
  if (key === null) return false;
  return sc.verify({ name: 'Ed25519' }, key, plain(signature), plain(message));
}

// Conformance probe: CCTV ed25519vectors (C2SP, BSD licence) that separate Go's
// rule from the other rules in use, plus S + L for the plain vector.
// [public key, signature, message, Go's verdict]
const PROBE: readonly (readonly [string, string, string, boolean])[] = [
  // #305: an ordinary valid signature.
  ['ef75b20e7540e3dff77404193652ba2bd13df99c1508eee1515e27ae25f28076', 'b62cf890de42c413b11b1411c9f01f1c4d77aa87ef182258d1251f69af2a350640657f1cb030f12543549bbabd848dc6403d354e7c99c4d0dcee9f63c9033b00', 'ed25519vectors 5', true],
  // #305 with S replaced by S + L: non-canonical S.
  ['ef75b20e7540e3dff77404193652ba2bd13df99c1508eee1515e27ae25f28076', 'b62cf890de42c413b11b1411c9f01f1c4d77aa87ef182258d1251f69af2a35062d397579ca93037e19f1925d9c7e6cdb403d354e7c99c4d0dcee9f63c9033b10', 'ed25519vectors 5', false],
  // #15: non-canonical R.
  ['0000000000000000000000000000000000000000000000000000000000000000', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f0000000000000000000000000000000000000000000000000000000000000000', 'ed25519vectors 10', false],
  // #4: low-order residue (the cofactored equation would accept).
  ['10eb7c3acfb2bed3e0d6ab89bf5a3d6afddd1176ce4812e38d9fd485058fdb1f', '00000000000000000000000000000000000000000000000000000000000000005e176f12cfb0d4e6eb6929b19ae4c998ef05c1c2cf628a9b1fa1c21312627108', 'ed25519vectors 7', false],
  // #35: non-canonical, low-order A; k must hash A's bytes as given.
  ['edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'b797b156efcd45a4e2454d2fd0b21438b3ccd80d4c7fd1d1b2c8e55bd4ed4a9405ba9a796274d80437afa36f1236563f2f3b0aa84cecddc3d20914615ba4fe02', 'ed25519vectors 9', true],
  // #1: low-order A and R (accepted by Go, refused by "strict" libraries).
  ['0000000000000000000000000000000000000000000000000000000000000000', '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000', 'ed25519vectors 11', true],
];

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function detect(): Promise<Ed25519Backend> {
  if (subtle() === undefined) return 'noble';
  try {
    for (const [pk, sig, msg, want] of PROBE) {
      const got = await verifyWebCrypto(hex(pk), new TextEncoder().encode(msg), hex(sig));
      if (got !== want) return 'noble';
    }
    return 'webcrypto';
  } catch {
    return 'noble';
  }
}

let backend: Promise<Ed25519Backend> | undefined;

/**
 * The verification path {@link verify} uses: `webcrypto` if the runtime has
 * WebCrypto Ed25519 and it gives Go's verdict on a built-in probe of edge
 * cases, else `noble`. Detected once, on first use.
 */
export function ed25519Backend(): Promise<Ed25519Backend> {
  backend ??= detect();
  return backend;
}

/**
 * Verify an Ed25519 signature with Go's verdicts, on the fastest conforming
 * path ({@link ed25519Backend}). Never throws on bad input: returns false.
 */
export async function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if ((await ed25519Backend()) === 'webcrypto') return verifyWebCrypto(publicKey, message, signature);
  return verifyNobleSync(publicKey, message, signature);
}

/** Derive the public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/** Sign synchronously with a 32-byte seed (deterministic, RFC 8032). */
export function signWithSeed(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

// PKCS#8 (RFC 8410) wrapping of a raw Ed25519 seed, for WebCrypto import.
const PKCS8_PREFIX = hex('302e020100300506032b657004220420');

async function importSigningKey(seed: Uint8Array): Promise<CryptoKey | null> {
  const sc = subtle();
  if (sc === undefined || (await ed25519Backend()) !== 'webcrypto') return null;
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
    return new SeedSigner(ed.utils.randomSecretKey());
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
