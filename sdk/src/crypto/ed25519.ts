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
 * Three verification paths give these verdicts, tried in this order: Node's
 * own crypto, synchronously (`ed25519-native.ts`), where
 * `process.getBuiltinModule('crypto')` exists; WebCrypto (native, but one
 * promise and thread-pool hop per call) where the runtime has Ed25519; and a
 * pure-JS path on @noble/ed25519's curve arithmetic (`ed25519-noble.ts`). Each
 * native path is used only after it passes a conformance probe. The native
 * and pure-JS paths are loaded with a dynamic import only when chosen, so a
 * web app whose browser passes the probe downloads neither. All are exported
 * so that tests can run every vector through each.
 */
import type { verifyNobleSync as VerifyNobleSync } from './ed25519-noble.js';
import { KeyCache } from './key-cache.js';
import { chosenVerifier } from './chosen-verifier.js';
import { plain, subtle } from './webcrypto.js';

export { plain, subtle };

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

/** Which implementation {@link verify} and {@link SeedSigner.sign} use. */
export type Ed25519Backend = 'native' | 'webcrypto' | 'noble';

/** Whether `v` is a Uint8Array of `length` bytes. */
export function isBytes(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

// Imported WebCrypto keys, least recently used first. Log and witness keys
// repeat, and an import costs about as much as a third of a verification.
const KEY_CACHE_MAX = 64;
const keyCache = new KeyCache<Promise<CryptoKey | null>>(KEY_CACHE_MAX);

function importVerifyKey(sc: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey | null> {
  return keyCache.get(publicKey, () =>
    // A key WebCrypto cannot decode is not a valid point: Go rejects it too.
    sc.importKey('raw', publicKey.slice(), { name: 'Ed25519' }, false, ['verify']).then(
      (k) => k,
      () => null,
    ),
  );
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

/** Decode hex (only for the built-in constants below). */
export function constHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
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

type SyncVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** Whether `fn` gives Go's verdict on every probe vector (a throw counts as a failure). */
async function passesProbe(fn: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>): Promise<boolean> {
  try {
    for (const [pk, sig, msg, want] of PROBE) {
      if ((await fn(constHex(pk), new TextEncoder().encode(msg), constHex(sig))) !== want) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function hasBuiltinModule(): boolean {
  return typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule === 'function';
}

// The native path's verifier once it is chosen, so that `verify` skips the backend lookup.
let nativeVerify: SyncVerify | undefined;

async function detect(): Promise<Ed25519Backend> {
  // The native path is probed too, though on Node its verdicts are OpenSSL's and
  // the CCTV vector tests establish them: `process.getBuiltinModule('crypto')`
  // also exists in runtimes whose `crypto` is not Node's OpenSSL (Bun, Deno),
  // and Node itself may be linked against a system OpenSSL the tests never saw.
  // Six synchronous verifications once per process cost about a millisecond.
  if (hasBuiltinModule()) {
    const m = await import('./ed25519-native.js');
    if (m.hasNativeEd25519() && (await passesProbe(m.verifyNativeSync))) {
      nativeVerify = m.verifyNativeSync;
      chosenVerifier.sync = nativeVerify;
      return 'native';
    }
  }
  if (subtle() !== undefined && (await passesProbe(verifyWebCrypto))) return 'webcrypto';
  return 'noble';
}

let backend: Promise<Ed25519Backend> | undefined;

/**
 * The verification path {@link verify} uses, detected once, on first use:
 * `native` (Node's crypto, synchronous) if the runtime exposes it and it gives
 * Go's verdict on a built-in probe of edge cases, else `webcrypto` if the
 * runtime has WebCrypto Ed25519 and it passes the same probe, else `noble`.
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
  if (nativeVerify !== undefined) return nativeVerify(publicKey, message, signature);
  const b = await ed25519Backend();
  if (b === 'native') return nativeVerify!(publicKey, message, signature);
  if (b === 'webcrypto') return verifyWebCrypto(publicKey, message, signature);
  return (await loadNoble())(publicKey, message, signature);
}

let noble: Promise<typeof VerifyNobleSync> | undefined;

// The pure-JS verifier, imported on first use (a separate chunk in browser builds).
function loadNoble(): Promise<typeof VerifyNobleSync> {
  noble ??= import('./ed25519-noble.js').then((m) => m.verifyNobleSync);
  return noble;
}
