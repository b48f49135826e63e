/**
 * The one storage interface of the log, implemented by SQLite on disk
 * (better-sqlite3, durable) and by sql.js in memory. All calls are
 * synchronous: both engines are in-process, and a synchronous commit is what
 * makes "acknowledged" mean "on disk".
 */
import type { Cosignature } from '@sigsum-kit/sdk';
import type { PerfectNode } from '@sigsum-kit/sdk/internal';
import type { ApartVerification } from './verify-apart.js';

/** How the log should treat its stored state at start-up (like log-go's sth file). */
export type StartupMode = 'saved' | 'empty' | 'local-tree';


/** A signed tree head the log has published, with its cosignatures. */
export interface PublishedTreeHead {
  /** Number of leaves. */
  size: number;
  /** 32-byte RFC 6962 root. */
  rootHash: Uint8Array;
  /** The log's Ed25519 signature over the checkpoint text. */
  signature: Uint8Array;
  /** Witness cosignatures (may be empty under `quorum none`). */
  cosignatures: Cosignature[];
  /** Milliseconds since the epoch when it was published. */
  publishedAt: number;
}

/** A stored leaf row as it is on disk (unchecked; for integrity checks). */
export interface StoredLeaf {
  /** The row's index. */
  index: number;
  /** The stored leaf hash. */
  leafHash: Uint8Array;
  /** The stored 128-byte leaf. */
  leaf: Uint8Array;
}

/** One leaf to append: the 128-byte leaf and its leaf hash. */
export interface LeafRecord {
  /** RFC 6962 leaf hash H(0x00 || leaf). */
  leafHash: Uint8Array;
  /** checksum[32] || signature[64] || key_hash[32]. */
  leaf: Uint8Array;
}

/** Storage of one log: leaves, leaf-hash index, perfect Merkle nodes, published tree heads. */
export interface Storage {
  /** `sqlite` (file, durable) or `memory` (sql.js, lost on exit). */
  readonly backend: 'sqlite' | 'memory';
  /** Number of leaves integrated into the tree. */
  treeSize(): number;
  /** Hash of the perfect subtree (level, index); level 0 is a leaf hash. Throws `StorageError` if absent. */
  getNode(level: number, index: number): Uint8Array;
  /**
   * Leaves `[start, end)` (end clipped to the tree size), in order. Throws
   * `StorageError` if a leaf in the range is missing or does not hash to its
   * stored leaf hash: never fewer leaves than asked for.
   */
  getLeaves(start: number, end: number): Uint8Array[];
  /** Stored leaf rows with index in `[start, end)`, in order, unchecked (integrity checks read them). */
  leafRows(start: number, end: number): StoredLeaf[];
  /** Every stored tree head, oldest first. */
  treeHeads(): PublishedTreeHead[];
  /** Run `fn` in one read transaction: a consistent view while the log keeps writing (WAL). */
  snapshot<T>(fn: () => T): T;
  /**
   * Optional (file-backed storage): `verifyTree(this, start, end, roots)` in
   * a separate short-lived process, so the memory of a long scan is returned
   * to the system when it ends. `unavailable` if no such process could run.
   */
  verifyTreeApart?(start: number, end: number, roots: ReadonlyMap<number, Uint8Array>): ApartVerification;
  /** Index of the leaf with this leaf hash, or `undefined`. */
  leafIndex(leafHash: Uint8Array): number | undefined;
  /**
   * Append leaves at indices `treeSize() ..` together with the interior perfect
   * nodes (level ≥ 1) they complete, atomically and durably.
   */
  appendLeaves(leaves: readonly LeafRecord[], nodes: readonly PerfectNode[]): void;
  /** The last published tree head, or `undefined` if none. */
  latestTreeHead(): PublishedTreeHead | undefined;
  /** Durably record a newly published tree head (before it is served). */
  saveTreeHead(head: PublishedTreeHead): void;
  /** The start-up mode to use next time (default `saved` once a head exists, else `empty`). */
  startupMode(): StartupMode | undefined;
  /** Set the start-up mode (`empty` by init, `local-tree` by promotion). */
  setStartupMode(mode: StartupMode): void;
  /** The log public key the storage belongs to (set once, checked on start). */
  logPublicKey(): Uint8Array | undefined;
  /** Record the log public key; throws if a different one is stored. */
  setLogPublicKey(key: Uint8Array): void;
  /** Approximate bytes used on disk (or in memory). */
  sizeBytes(): number;
  /** Flush and close; further calls throw. */
  close(): void;
}

export { StorageError } from '../errors.js';
