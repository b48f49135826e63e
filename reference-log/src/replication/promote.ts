/**
 * Failover checks on stored state, both sides of the "never two primaries,
 * never a split view" rule:
 *
 * - {@link promoteStorage}: turn a stopped secondary's database into a
 *   primary's — only if its tree contains the last tree head the old primary
 *   published (same root at that size). That head is stored, so the promoted
 *   log serves it at once and never rolls back, and the start-up mode becomes
 *   `local-tree`.
 * - {@link checkNotSuperseded}: before a node runs as primary, refuse if a
 *   tree head it never published is out there (another primary took over),
 *   or if its tree contradicts that head.
 */
import { bytesEqual, toHex, toSafeNumber, verifyTreeHeadSignature, type CosignedTreeHead, type SignedTreeHead, type TreeHead } from '@sigsum-kit/sdk';
import { treeRoot } from '@sigsum-kit/sdk/internal';
import type { Storage } from '../storage/types.js';
import { FailoverError } from '../errors.js';


/** Whether a tree head carries the log's signature (a witness's stored state does not). */
function isSigned(head: TreeHead | SignedTreeHead): head is SignedTreeHead {
  return 'signature' in head;
}

/** Check that a signed `head` is signed by the log key and that the stored tree contains it; returns its size. */
async function checkContains(storage: Storage, logPublicKey: Uint8Array, head: TreeHead | SignedTreeHead, prefix: 'promote' | 'startup'): Promise<number> {
  if (isSigned(head) && !(await verifyTreeHeadSignature(head, logPublicKey))) {
    throw new FailoverError(`${prefix}.signature`, `the given tree head of size ${head.size} is not signed by the log key`);
  }
  const size = toSafeNumber(head.size, 'size');
  const ours = storage.treeSize();
  if (ours < size) {
    throw new FailoverError(`${prefix}.behind`, `local tree has ${ours} leaves but a tree head of size ${size} was published`);
  }
  const root = treeRoot(size, storage);
  if (!bytesEqual(root, head.rootHash)) {
    throw new FailoverError(`${prefix}.inconsistent`, `local tree of size ${size} has root ${toHex(root)}, the published root is ${toHex(head.rootHash)}`);
  }
  return size;
}

/** What {@link promoteStorage} did. */
export interface PromoteResult {
  /** Leaves in the promoted tree. */
  treeSize: number;
  /** Size of the published head it was checked against (or of a newer stored one). */
  publishedSize: number;
}

/**
 * Promote a secondary's (closed-by-its-process) storage to primary storage
 * for the log with `logPublicKey`, given the last published tree head. An
 * unsigned head (`size` and `root_hash`, e.g. a witness's stored state) is
 * checked the same way but not stored, as it cannot be served.
 * @throws FailoverError if the tree is behind or inconsistent with `head`,
 *   or `head` is not signed by the log key; StorageError if the database
 *   belongs to another log.
 */
export async function promoteStorage(storage: Storage, logPublicKey: Uint8Array, head: CosignedTreeHead | TreeHead, now: () => number = Date.now): Promise<PromoteResult> {
  storage.setLogPublicKey(logPublicKey);
  const size = await checkContains(storage, logPublicKey, head, 'promote');
  const stored = storage.latestTreeHead();
  // Store the head unless an equal or newer one is already there (promotion run twice).
  if (isSigned(head) && (stored === undefined || stored.size < size)) {
    storage.saveTreeHead({ size, rootHash: head.rootHash, signature: head.signature, cosignatures: 'cosignatures' in head ? [...(head as CosignedTreeHead).cosignatures] : [], publishedAt: now() });
  }
  storage.setStartupMode('local-tree');
  return { treeSize: storage.treeSize(), publishedSize: Math.max(size, stored?.size ?? 0) };
}

/**
 * Refuse to run as primary when `head` (the log's currently published tree
 * head, from the public URL, a witness or the operator) is newer than the
 * newest head this node stored, or contradicts its tree.
 */
export async function checkNotSuperseded(storage: Storage, logPublicKey: Uint8Array, head: TreeHead | SignedTreeHead): Promise<void> {
  if (isSigned(head) && !(await verifyTreeHeadSignature(head, logPublicKey))) {
    throw new FailoverError('startup.signature', `the given tree head of size ${head.size} is not signed by the log key`);
  }
  const ours = storage.latestTreeHead()?.size ?? 0;
  const size = toSafeNumber(head.size, 'size');
  if (size > ours) {
    throw new FailoverError(
      'startup.superseded',
      `a tree head of size ${size} was published, but this node only ever published size ${ours}: another primary has taken over; ` +
        'do not run this node as primary (wipe it and set it up as a new secondary)',
    );
  }
  await checkContains(storage, logPublicKey, head, 'startup');
}
