/**
 * Synchronous Ed25519 verification on Node's own crypto (OpenSSL), without
 * WebCrypto's per-call promise, key import and thread-pool hop. Reached as
 * `process.getBuiltinModule('crypto')` (as `sha256.ts` reaches the native
 * hash), so the isomorphic core has no `node:` import and a browser bundle
 * never sees one; where that is missing (browsers) this path is absent.
 *
 * Verdicts are Go's `crypto/ed25519` (see `ed25519.ts`): OpenSSL checks S < L,
 * decodes A leniently and compares the re-encoded R with the signature's R
 * bytes, as Go does; all 914 CCTV vectors confirm it on Node (sdk and
 * test-vectors tests). The top-bits pre-check on S is Go's own first test.
 */
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, isBytes } from './ed25519.js';
import { KeyCache } from './key-cache.js';

/** The part of Node's `crypto` module this path uses (typed here: no `node:` import). */
interface NodeCrypto {
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): object;
  verify(algorithm: null, data: Uint8Array, key: object, signature: Uint8Array): boolean;
}

function nodeCrypto(): NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  let mod: Partial<NodeCrypto> | undefined;
  try {
    mod = proc?.getBuiltinModule?.('crypto') as Partial<NodeCrypto> | undefined;
  } catch {
    return undefined;
  }
  return typeof mod?.createPublicKey === 'function' && typeof mod.verify === 'function' ? (mod as NodeCrypto) : undefined;
}

const native = nodeCrypto();

/** Whether this runtime has the native path (Node's `crypto` via `process.getBuiltinModule`). */
export function hasNativeEd25519(): boolean {
  return native !== undefined;
}

// SubjectPublicKeyInfo DER prefix of a raw Ed25519 key (RFC 8410).
const SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
// Key objects of recent keys, least recently used first: log, witness and
// submitter keys repeat, and making one costs about a third of a verification.
const KEY_CACHE_MAX = 1024;
const keyCache = new KeyCache<object | null>(KEY_CACHE_MAX);

function keyObject(nc: NodeCrypto, publicKey: Uint8Array): object | null {
  return keyCache.get(publicKey, () => makeKeyObject(nc, publicKey));
}

function makeKeyObject(nc: NodeCrypto, publicKey: Uint8Array): object | null {
  const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_SIZE);
  der.set(SPKI_PREFIX);
  der.set(publicKey, SPKI_PREFIX.length);
  let key: object | null;
  try {
    key = nc.createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    // Not a point OpenSSL can decode: Go refuses it as well.
    key = null;
  }
  return key;
}

/** Empty the native key-object cache (for benchmarks and tests). */
export function clearNativeKeyCache(): void {
  keyCache.clear();
}

/**
 * Verify synchronously with Node's `crypto` (Go's verdicts, see the module
 * comment). Returns false for malformed input; never throws on it.
 * @throws Error if the runtime has no native path (see {@link hasNativeEd25519}).
 */
export function verifyNativeSync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (native === undefined) throw new Error("Node's crypto is not available in this runtime");
  if (!isBytes(publicKey, PUBLIC_KEY_SIZE) || !isBytes(signature, SIGNATURE_SIZE) || !(message instanceof Uint8Array)) return false;
  if ((signature[63]! & 0xe0) !== 0) return false;
  const key = keyObject(native, publicKey);
  if (key === null) return false;
  try {
    return native.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** {@link verifyNativeSync} as a promise, the shape of {@link verify}. */
export function verifyNative(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    return Promise.resolve(verifyNativeSync(publicKey, message, signature));
  } catch (e) {
    return Promise.reject(e as Error);
  }
}
