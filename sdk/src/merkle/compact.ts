/**
 * Compact range over leaves [0, size): the right border of perfect subtrees,
 * one per set bit of size (see transparency-dev's "compact ranges"). Enough to
 * append leaves and compute the root in O(log n) memory; a log persists the
 * nodes that {@link CompactRange.append} reports and restores from them.
 */
import { ParseError, OutOfRangeError } from '../errors.js';
import { checkHash, emptyRootCopy as emptyRoot, nodeHash } from './internal.js';
import type { NodeReader, PerfectNode } from './prove.js';
import { borderPositions } from './prove.js';

/** An incrementally built Merkle tree that keeps only its right border. */
export class CompactRange {
  #size: number;
  // Border hashes, largest (leftmost) subtree first.
  readonly #border: Uint8Array[];

  /** An empty range (size 0). Use {@link CompactRange.restore} to resume a tree. */
  constructor() {
    this.#size = 0;
    this.#border = [];
  }

  /**
   * Rebuild the range of a tree of `size` leaves by reading its border nodes
   * (the left border of the tree) through `reader`.
   * @throws OutOfRangeError (`merkle.safe-size`) for a size outside 0..2^53−1;
   *   ParseError (`merkle.hash-size`) if the reader returns a hash that is not 32 bytes.
   */
  static restore(size: number, reader: NodeReader): CompactRange {
    const positions = borderPositions(size);
    const cr = new CompactRange();
    for (const p of positions) {
      const h = reader.getNode(p.level, p.index);
      checkHash(h, `node ${p.level}/${p.index}`);
      cr.#border.push(h.slice());
    }
    cr.#size = size;
    return cr;
  }

  /**
   * Rebuild a range from its border hashes as {@link CompactRange.border}
   * lists them (largest subtree first), e.g. as stored by a monitor.
   * @throws OutOfRangeError (`merkle.safe-size`); ParseError (`merkle.border-length`)
   *   if the count is not one per set bit of `size`, or (`merkle.hash-size`).
   */
  static fromBorder(size: number, hashes: readonly Uint8Array[]): CompactRange {
    const positions = borderPositions(size);
    if (hashes.length !== positions.length) {
      throw new ParseError('merkle.border-length', `${hashes.length} border hashes given, size ${size} has ${positions.length}`, 'border');
    }
    let i = 0;
    return CompactRange.restore(size, { getNode: () => hashes[i++]! });
  }

  /** An independent copy (appending to one does not change the other). */
  clone(): CompactRange {
    const cr = new CompactRange();
    for (const h of this.#border) cr.#border.push(h);
    cr.#size = this.#size;
    return cr;
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** The border nodes, largest first, with their positions (copies). */
  border(): PerfectNode[] {
    const pos = borderPositions(this.#size);
    return pos.map((p, i) => ({ level: p.level, index: p.index, hash: this.#border[i]!.slice() }));
  }

  /**
   * Append one leaf hash. Returns every perfect subtree completed by it, from
   * the leaf itself (level 0) upwards, so a log can store them for proofs.
   * @throws ParseError (`merkle.hash-size`); OutOfRangeError (`merkle.safe-size`) at 2^53−1 leaves.
   */
  append(leafHash: Uint8Array): PerfectNode[] {
    checkHash(leafHash, 'leafHash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new OutOfRangeError('merkle.safe-size', 'tree is full (2^53-1 leaves)', 'size');
    let h: Uint8Array = leafHash.slice();
    let index = this.#size;
    let level = 0;
    const done: PerfectNode[] = [{ level, index, hash: h }];
    // Each odd index on the way up closes a subtree with the border node to its left.
    while (index % 2 === 1) {
      h = nodeHash(this.#border.pop()!, h);
      index = (index - 1) / 2;
      level++;
      done.push({ level, index, hash: h });
    }
    this.#border.push(h);
    this.#size++;
    return done.map((n) => ({ level: n.level, index: n.index, hash: n.hash.slice() }));
  }

  /** Root hash of the current tree (the empty tree's root at size 0). */
  root(): Uint8Array {
    const b = this.#border;
    if (b.length === 0) return emptyRoot();
    let r = b[b.length - 1]!;
    for (let j = b.length - 2; j >= 0; j--) r = nodeHash(b[j]!, r);
    return r.slice();
  }
}
