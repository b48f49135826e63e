/**
 * A Merkle tree holding every perfect node in memory: a {@link NodeReader} for
 * tests, the web demo and in-memory logs (a real log stores nodes elsewhere).
 */
import { OutOfRangeError } from '../errors.js';
import { CompactRange } from './compact.js';
import type { NodeReader, PerfectNode } from './prove.js';
import { consistencyProof, inclusionProof, treeRoot } from './prove.js';

/** An append-only tree with all perfect subtree hashes in memory. */
export class MemoryTree implements NodeReader {
  // levels[l][i] = hash of perfect node (l, i).
  readonly #levels: Uint8Array[][] = [];
  readonly #range = new CompactRange();

  /** A tree holding `leafHashes` (in order). */
  static fromLeafHashes(leafHashes: Iterable<Uint8Array>): MemoryTree {
    const t = new MemoryTree();
    for (const h of leafHashes) t.append(h);
    return t;
  }

  /** Number of leaves. */
  get size(): number {
    return this.#range.size;
  }

  /** Append a leaf hash; returns the perfect nodes it completed (as {@link CompactRange.append}). */
  append(leafHash: Uint8Array): PerfectNode[] {
    const done = this.#range.append(leafHash);
    for (const n of done) {
      const level = (this.#levels[n.level] ??= []);
      level.push(n.hash);
    }
    return done;
  }

  /**
   * Hash of the perfect subtree at (`level`, `index`) (a copy).
   * @throws OutOfRangeError (`merkle.node-range`) if that subtree is not complete yet.
   */
  getNode(level: number, index: number): Uint8Array {
    const h = this.#levels[level]?.[index];
    if (h === undefined) throw new OutOfRangeError('merkle.node-range', `no complete subtree at level ${level}, index ${index} in a tree of ${this.size} leaves`, 'node');
    return h.slice();
  }

  /** Leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    return this.getNode(0, index);
  }

  /** Root of the first `size` leaves (default: all). */
  root(size: number = this.size): Uint8Array {
    this.#checkSize(size);
    return size === this.size ? this.#range.root() : treeRoot(size, this);
  }

  /** Inclusion proof of leaf `index` in the tree of the first `size` leaves (default: all). */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkSize(size);
    return inclusionProof(index, size, this);
  }

  /** Consistency proof between the first `oldSize` and `newSize` leaves (default: all). */
  consistencyProof(oldSize: number, newSize: number = this.size): Uint8Array[] {
    this.#checkSize(newSize);
    return consistencyProof(oldSize, newSize, this);
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new OutOfRangeError('merkle.proof-range', `size ${size} is outside 0..${this.size}`, 'size');
    }
  }
}
