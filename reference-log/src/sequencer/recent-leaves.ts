/**
 * The newest integrated leaves, by leaf hash: a window of fixed size that
 * answers "which index has this leaf hash?" without storage.
 *
 * The hashes sit in a ring (32 bytes a slot), found through a map from a
 * hash's first 30 bits to its index. A number key costs no string per
 * look-up and stays a small integer in V8, where a 32-byte string key cost
 * a string, its hash and a compare on every re-send (issue 13, target 3).
 * Two hashes in the window may share those bits: the newer one wins the map
 * entry and the older one is simply not found here, which is never wrong,
 * since "not known" means "look it up in storage".
 */

/** Bytes of a leaf hash. */
const HASH = 32;

/** A hash's first 30 bits: always a small integer in V8, whatever the build. */
function prefixOf(h: Uint8Array, at = 0): number {
  return ((h[at]! & 0x3f) << 24) | (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!;
}

/** See the module comment. */
export class RecentLeaves {
  readonly #capacity: number;
  readonly #hashes: Uint8Array;
  /** Leaf index + 1 in each slot; 0 while empty (so a fresh table touches no page of memory). */
  readonly #indices: Float64Array;
  readonly #byPrefix = new Map<number, number>();

  /** @param capacity how many of the newest leaves to remember. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#hashes = new Uint8Array(capacity * HASH);
    this.#indices = new Float64Array(capacity);
  }

  /** How many leaves it remembers now. */
  get size(): number {
    return this.#byPrefix.size;
  }

  /** Remember that `leafHash` is at `index`; the leaf that held the same slot is forgotten. */
  add(leafHash: Uint8Array, index: number): void {
    if (leafHash.length !== HASH) throw new RangeError(`a leaf hash has ${HASH} bytes, got ${leafHash.length}`);
    const slot = index % this.#capacity;
    const at = slot * HASH;
    const old = this.#indices[slot]! - 1;
    if (old >= 0) {
      const oldPrefix = prefixOf(this.#hashes, at);
      if (this.#byPrefix.get(oldPrefix) === old) this.#byPrefix.delete(oldPrefix);
    }
    this.#hashes.set(leafHash, at);
    this.#indices[slot] = index + 1;
    this.#byPrefix.set(prefixOf(leafHash), index);
  }

  /** The index of `leafHash` if it is among the leaves remembered, else undefined. */
  indexOf(leafHash: Uint8Array): number | undefined {
    if (leafHash.length !== HASH) return undefined;
    const index = this.#byPrefix.get(prefixOf(leafHash));
    if (index === undefined) return undefined;
    const at = (index % this.#capacity) * HASH;
    const hashes = this.#hashes;
    for (let i = 0; i < HASH; i++) if (hashes[at + i] !== leafHash[i]) return undefined;
    return index;
  }
}
