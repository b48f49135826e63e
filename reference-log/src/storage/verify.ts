/**
 * Integrity of a stored tree, recomputed from the leaves: every leaf must be
 * present (indices contiguous), hash to its stored leaf hash, every stored
 * interior node must equal the hash recomputed from the leaves, and the root
 * at chosen sizes must equal the expected roots. Used by the start-up check
 * (the last leaves) and by `sigsum-log check` (all of them).
 */
import { CompactRange, bytesEqual, emptyRoot, toHex } from '@sigsum-kit/sdk';
import { leafHashNode } from '../crypto/node-crypto.js';
import { StorageError, type Storage } from './types.js';

/** The first damage found: where, a stable code and a message for the operator. */
export interface TreeDamage {
  /** First bad leaf index (or the size whose root differs). */
  index: number;
  /** `missing-leaf`, `leaf-hash`, `missing-node`, `node`, `root`. */
  code: string;
  /** What is wrong, in one line. */
  message: string;
  /** For `root`: the root recomputed from the leaves. */
  root?: Uint8Array;
}

/** What {@link verifyTree} checked. */
export interface TreeVerification {
  /** Leaves read and re-hashed. */
  leaves: number;
  /** Stored interior nodes compared. */
  nodes: number;
  /** Roots compared (sizes). */
  roots: number;
  /** The first damage, or undefined if the range is whole. */
  damage?: TreeDamage;
}

/** Rows read per query (bounded memory on large trees). */
const PAGE = 4096;

const same = bytesEqual;

/**
 * Verify leaves `[start, end)` of `storage` and the interior nodes they
 * complete, starting from the stored border at `start` (trusted; `start = 0`
 * trusts nothing), and compare the root at each size in `roots` within
 * `(start, end]` (and at `start` itself when it is 0) with the expected hash.
 * Call inside {@link Storage.snapshot} on a live database.
 */
export function verifyTree(
  storage: Pick<Storage, 'leafRows' | 'getNode'>,
  start: number,
  end: number,
  roots: ReadonlyMap<number, Uint8Array> = new Map(),
  onPage?: (done: number, end: number) => void,
): TreeVerification {
  const result: TreeVerification = { leaves: 0, nodes: 0, roots: 0 };
  const damaged = (index: number, code: string, message: string): TreeVerification => ({ ...result, damage: { index, code, message } });
  const checkRoot = (size: number, root: Uint8Array): TreeDamage | undefined => {
    const want = roots.get(size);
    if (want === undefined) return undefined;
    result.roots++;
    if (same(root, want)) return undefined;
    return { index: size, code: 'root', root, message: `the stored leaves have root ${toHex(root)} at size ${size}, the tree head says ${toHex(want)}` };
  };
  let range: CompactRange;
  try {
    range = CompactRange.restore(start, storage);
  } catch (err) {
    return damaged(start, 'missing-node', `cannot read the tree's border at size ${start}: ${(err as Error).message}`);
  }
  if (start === 0) {
    const d = checkRoot(0, emptyRoot());
    if (d !== undefined) return { ...result, damage: d };
  }
  for (let page = start; page < end; page += PAGE) {
    onPage?.(page, end);
    const stop = Math.min(end, page + PAGE);
    const rows = storage.leafRows(page, stop);
    for (let i = page; i < stop; i++) {
      const row = rows[i - page];
      if (row === undefined || row.index !== i) return damaged(i, 'missing-leaf', `leaf ${i} is missing from the database`);
      const leafHash = leafHashNode(row.leaf);
      if (!same(leafHash, row.leafHash)) return damaged(i, 'leaf-hash', `leaf ${i} does not hash to its stored leaf hash`);
      result.leaves++;
      for (const node of range.append(leafHash)) {
        if (node.level === 0) continue;
        let stored: Uint8Array;
        try {
          stored = storage.getNode(node.level, node.index);
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          return damaged(i, 'missing-node', `interior node (level ${node.level}, index ${node.index}) is missing`);
        }
        result.nodes++;
        if (!same(stored, node.hash)) {
          return damaged(i, 'node', `interior node (level ${node.level}, index ${node.index}) differs from the hash of its leaves`);
        }
      }
      if (roots.has(i + 1)) {
        const d = checkRoot(i + 1, range.root());
        if (d !== undefined) return { ...result, damage: d };
      }
    }
  }
  return result;
}
