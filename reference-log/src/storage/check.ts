/**
 * The full integrity check behind `sigsum-log check`: every leaf re-hashed,
 * every interior node and the root of every stored tree head recomputed from
 * the leaves, every head's log signature verified, heads never shrinking,
 * and the published-tree-head file contained in the database. Reads one
 * snapshot (a read transaction: a running log keeps writing under WAL).
 */
import { toHex, verifyTreeHeadSignature } from '@sigsum-kit/sdk';
import type { GuardHead } from './guard.js';
import type { PublishedTreeHead, Storage } from './types.js';
import { verifyTree, type TreeDamage } from './verify.js';

/** What {@link checkStorage} found. */
export interface CheckReport {
  /** Leaves in the database. */
  treeSize: number;
  /** Leaves re-hashed. */
  leaves: number;
  /** Interior nodes compared. */
  nodes: number;
  /** Stored tree heads checked. */
  treeHeads: number;
  /** Size of the newest stored tree head, if any. */
  newestHeadSize: number | undefined;
  /** The first damage, or undefined if the database is whole. */
  damage?: TreeDamage;
}

/**
 * Check `storage` (see the module comment). `guard` is the published-tree-head
 * file's head, read BEFORE the check (it is written after the database, so
 * the snapshot must contain it).
 */
export async function checkStorage(storage: Storage, guard?: GuardHead, onProgress?: (leavesChecked: number, treeSize: number) => void): Promise<CheckReport> {
  const logKey = storage.logPublicKey();
  const { heads, treeSize, verification } = storage.snapshot(() => {
    const heads = storage.treeHeads();
    const treeSize = storage.treeSize();
    const roots = new Map<number, Uint8Array>();
    for (const h of heads) if (h.size <= treeSize && !roots.has(h.size)) roots.set(h.size, h.rootHash);
    if (guard !== undefined && guard.size <= treeSize && !roots.has(guard.size)) roots.set(guard.size, guard.rootHash);
    return { heads, treeSize, verification: verifyTree(storage, 0, treeSize, roots, onProgress) };
  });
  const report: CheckReport = {
    treeSize,
    leaves: verification.leaves,
    nodes: verification.nodes,
    treeHeads: heads.length,
    newestHeadSize: heads.at(-1)?.size,
  };
  const damaged = (index: number, code: string, message: string): CheckReport => ({ ...report, damage: { index, code, message } });
  if (verification.damage !== undefined) return { ...report, damage: verification.damage };
  if (logKey === undefined) return damaged(0, 'no-key', 'the database records no log public key');
  let prev: PublishedTreeHead | undefined;
  const bySize = new Map<number, Uint8Array>();
  for (const [i, h] of heads.entries()) {
    const which = `stored tree head #${i + 1} (size ${h.size})`;
    if (h.size > treeSize) return damaged(treeSize, 'head-beyond-tree', `${which} is beyond the ${treeSize} stored leaves`);
    if (prev !== undefined && h.size < prev.size) return damaged(h.size, 'head-shrinks', `${which} is smaller than the one before it (size ${prev.size})`);
    const other = bySize.get(h.size);
    if (other !== undefined && toHex(other) !== toHex(h.rootHash)) return damaged(h.size, 'root', `two stored tree heads of size ${h.size} have different roots`);
    bySize.set(h.size, h.rootHash);
    if (!(await verifyTreeHeadSignature({ size: BigInt(h.size), rootHash: h.rootHash, signature: h.signature }, logKey))) {
      return damaged(h.size, 'signature', `${which} is not signed by the log key ${toHex(logKey)}`);
    }
    prev = h;
  }
  if (guard !== undefined) {
    const newest = prev?.size;
    if (newest === undefined || newest < guard.size) {
      return damaged(guard.size, 'behind-guard', `the published-tree-head file says size ${guard.size} was published, the database's newest tree head is ${newest === undefined ? 'none' : `of size ${newest}`}`);
    }
    if (guard.signature !== undefined && !(await verifyTreeHeadSignature({ size: BigInt(guard.size), rootHash: guard.rootHash, signature: guard.signature }, logKey))) {
      return damaged(guard.size, 'signature', `the published-tree-head file's head (size ${guard.size}) is not signed by the log key ${toHex(logKey)}`);
    }
  }
  return report;
}
