/**
 * A small least-recently-used cache keyed by a public key's bytes, for the
 * imported verification keys of the WebCrypto and native Ed25519 paths: log,
 * witness and submitter keys repeat, and importing one costs a good part of a
 * verification.
 */
export class KeyCache<T> {
  readonly #entries = new Map<string, T>();
  // The same key usually comes back as the same array (a parsed policy's or
  // key file's): found by identity, then checked byte for byte (an array may
  // have been changed in place since), without building the string id.
  #byArray = new WeakMap<Uint8Array, { bytes: Uint8Array; value: T }>();

  constructor(private readonly max: number) {}

  /** The cached value for `publicKey`, or the one `make` returns (then cached, the oldest dropped past `max`). */
  get(publicKey: Uint8Array, make: () => T): T {
    const known = this.#byArray.get(publicKey);
    if (known !== undefined && sameBytes(known.bytes, publicKey)) return known.value;
    // A latin1 string of the bytes: cheaper than hex, and a Map key.
    const id = String.fromCharCode.apply(null, publicKey as unknown as number[]);
    let value = this.#entries.get(id);
    if (value !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, value);
    } else {
      value = make();
      this.#entries.set(id, value);
      if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#byArray.set(publicKey, { bytes: publicKey.slice(), value });
    return value;
  }

  /** Drop every entry. */
  clear(): void {
    this.#entries.clear();
    this.#byArray = new WeakMap();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
