/**
 * The published-tree-head file: the last tree head the log published, kept
 * OUTSIDE the database (like log-go's sth file), so that a database that is
 * missing, empty, replaced or restored from an older backup cannot silently
 * start a tree that contradicts what the log has signed.
 *
 * Format: a `get-tree-head` answer (size, root_hash, signature, cosignature
 * lines), or just `size` and `root_hash` after a promotion from an unsigned
 * head. Written durably: temporary file, fsync, rename, fsync of the directory.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  parseCosignedTreeHeadBody,
  parseTreeHeadBody,
  serializeCosignedTreeHead,
  serializeTreeHead,
  toSafeNumber,
  type Cosignature,
} from '@sigsum-kit/sdk';
import { StorageError } from './types.js';

/** The tree head a published-tree-head file holds. */
export interface GuardHead {
  /** Number of leaves. */
  size: number;
  /** 32-byte root. */
  rootHash: Uint8Array;
  /** The log's signature; absent after a promotion from an unsigned head. */
  signature?: Uint8Array;
  /** Witness cosignatures (may be empty). */
  cosignatures: Cosignature[];
}

/** Read the file at `path`; `undefined` if it does not exist. Throws `StorageError` (`guard.corrupt`) if unreadable. */
export function readGuardFile(path: string): GuardHead | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageError('guard.corrupt', `cannot read the published-tree-head file ${path}: ${(err as Error).message}`);
  }
  try {
    const h = parseCosignedTreeHeadBody(text);
    return { size: toSafeNumber(h.size, 'size'), rootHash: h.rootHash, signature: h.signature, cosignatures: [...h.cosignatures] };
  } catch (signedErr) {
    try {
      const h = parseTreeHeadBody(text);
      return { size: toSafeNumber(h.size, 'size'), rootHash: h.rootHash, cosignatures: [] };
    } catch {
      throw new StorageError('guard.corrupt', `the published-tree-head file ${path} is not a tree head: ${(signedErr as Error).message}`);
    }
  }
}

/** Durably replace the file at `path` with `head` (temp file, fsync, rename, fsync of the directory). */
export function writeGuardFile(path: string, head: GuardHead): void {
  const body =
    head.signature === undefined
      ? serializeTreeHead({ size: BigInt(head.size), rootHash: head.rootHash })
      : serializeCosignedTreeHead({ size: BigInt(head.size), rootHash: head.rootHash, signature: head.signature, cosignatures: head.cosignatures });
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  // Public data (it is served by get-tree-head): ordinary file mode.
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
