/**
 * Proof generation for a log that stores only perfect subtree hashes. Every
 * function reads O(log n) nodes through a {@link NodeReader}; sizes are
 * `number` (a log stays below 2^53 leaves). Output order is leaf-to-root, as
 * sigsum-go and log-go serve proofs.
 */
import { OutOfRangeError } from '../errors.js';
import { emptyRootCopy as emptyRoot, nodeHash } from './internal.js';

/**
 * Read access to the perfect subtrees of a tree: `getNode(level, index)` is the
 * hash of the perfect subtree over leaves [index·2^level, (index+1)·2^level)
 * (level 0 = leaf hashes). Only nodes whose leaves all exist are read.
 */
export interface NodeReader {
  /** Hash of the perfect subtree at `level` and `index`. */
  getNode(level: number, index: number): Uint8Array;
}

/** A perfect subtree: its level (log2 of its leaf count), index on that level, and hash. */
export interface PerfectNode {
  /** Height: the subtree covers 2^level leaves. */
  readonly level: number;
  /** Position on its level: the subtree starts at leaf index·2^level. */
  readonly index: number;
  /** The subtree's Merkle hash. */
  readonly hash: Uint8Array;
}

function checkSize(v: number, where: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new OutOfRangeError('merkle.safe-size', `${v} is not an integer in 0..2^53-1`, where);
}

/**
 * Positions of the perfect subtrees that make up leaves [0, size), largest
 * (leftmost) first: one per set bit of `size`. These are the nodes a
 * {@link CompactRange} holds and the nodes {@link treeRoot} reads.
 */
export function borderPositions(size: number): { level: number; index: number }[] {
  checkSize(size, 'size');
  return rangePositions(0, size);
}

// Perfect subtrees covering [begin, end) where begin is a multiple of the
// largest power of two ≤ end − begin (true for every range used here).
function rangePositions(begin: number, end: number): { level: number; index: number }[] {
  const out: { level: number; index: number }[] = [];
  let pos = begin;
  let rest = end - begin;
  for (let level = 52; level >= 0 && rest > 0; level--) {
    const w = 2 ** level;
    if (rest >= w) {
      out.push({ level, index: pos / w });
      pos += w;
      rest -= w;
    }
  }
  return out;
}

// Hash of the (not necessarily perfect) subtree over [begin, end), folding its
// perfect parts right to left.
function rangeHash(begin: number, end: number, reader: NodeReader): Uint8Array {
  const parts = rangePositions(begin, end);
  let h = reader.getNode(parts[parts.length - 1]!.level, parts[parts.length - 1]!.index);
  for (let j = parts.length - 2; j >= 0; j--) h = nodeHash(reader.getNode(parts[j]!.level, parts[j]!.index), h);
  return h;
}

/**
 * Root hash of the first `size` leaves (the empty tree's root for size 0).
 * Reads one node per set bit of `size`.
 */
export function treeRoot(size: number, reader: NodeReader): Uint8Array {
  checkSize(size, 'size');
  if (size === 0) return emptyRoot();
  return rangeHash(0, size, reader).slice();
}

// The audit path of node `fn` on `level` in a tree of `size` leaves: for each
// level up to the root, the sibling subtree if there is one. A right sibling
// that is the last node of its level may be an incomplete subtree; its hash is
// then folded from perfect nodes (this happens at most once per path).
function auditPath(level: number, fn: number, size: number, reader: NodeReader, out: Uint8Array[]): void {
  let f = fn;
  let s = Math.floor((size - 1) / 2 ** level);
  for (let l = level; s > 0; l++) {
    const w = 2 ** l;
    if (f % 2 === 1) {
      out.push(reader.getNode(l, f - 1));
    } else if (f < s) {
      const sib = f + 1;
      if ((sib + 1) * w <= size) out.push(reader.getNode(l, sib));
      else out.push(rangeHash(sib * w, size, reader));
    }
    f = Math.floor(f / 2);
    s = Math.floor(s / 2);
  }
}

/**
 * Inclusion proof of leaf `index` in the tree of the first `size` leaves,
 * leaf-to-root. Reads O(log size) nodes.
 * @throws OutOfRangeError (`merkle.safe-size`, `merkle.proof-range`) unless 0 ≤ index < size < 2^53.
 */
export function inclusionProof(index: number, size: number, reader: NodeReader): Uint8Array[] {
  checkSize(index, 'index');
  checkSize(size, 'size');
  if (index >= size) throw new OutOfRangeError('merkle.proof-range', `index ${index} is not below tree size ${size}`, 'index');
  const out: Uint8Array[] = [];
  auditPath(0, index, size, reader, out);
  return out;
}

/**
 * Consistency proof from the tree of the first `oldSize` leaves to the tree of
 * the first `newSize` leaves, leaf-to-root (RFC 9162 §2.1.4 content in
 * sigsum-go order). Empty when the sizes are equal or `oldSize` is 0.
 * @throws OutOfRangeError (`merkle.safe-size`, `merkle.proof-range`) unless 0 ≤ oldSize ≤ newSize < 2^53.
 */
export function consistencyProof(oldSize: number, newSize: number, reader: NodeReader): Uint8Array[] {
  checkSize(oldSize, 'oldSize');
  checkSize(newSize, 'newSize');
  if (oldSize > newSize) throw new OutOfRangeError('merkle.proof-range', `old size ${oldSize} is larger than new size ${newSize}`, 'oldSize');
  if (oldSize === 0 || oldSize === newSize) return [];
  // Start from the old tree's last perfect subtree (level t, node fn); unless it
  // is the whole old tree (fn = 0) the verifier needs its hash first.
  let t = 0;
  while ((oldSize / 2 ** t) % 2 === 0) t++;
  const fn = (oldSize - 2 ** t) / 2 ** t;
  const out: Uint8Array[] = [];
  if (fn > 0) out.push(reader.getNode(t, fn));
  auditPath(t, fn, newSize, reader, out);
  return out;
}
