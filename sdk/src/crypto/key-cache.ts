/**
 * A small least-recently-used cache keyed by a public key's bytes, for the
 * imported verification keys of the WebCrypto and native Ed25519 paths: log,
 * witness and submitter keys repeat, and importing one costs a good part of a
 * verification.
 */
export class KeyCache<T> {
  readonly #entries = new Map<string, T>();

  constructor(private readonly max: number) {}

  /** The cached value for `publicKey`, or the one `make` returns (then cached, the oldest dropped past `max`). */
  get(publicKey: Uint8Array, make: () => T): T {
    // A latin1 string of the 32 bytes: cheaper than hex, and a Map key.
    let id = '';
    for (let i = 0; i < publicKey.length; i++) id += String.fromCharCode(publicKey[i]!);
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    const value = make();
    this.#entries.set(id, value);
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    return value;
  }

  /** Drop every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
