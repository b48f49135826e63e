/**
 * Static export of the tiles (`sigsum-log tiles --out DIR`): the same bytes
 * the log serves, as files a web server, CDN or object store can serve.
 *
 * Every file is written to a temporary name and renamed into place, and the
 * checkpoint is renamed last, so a reader never sees a checkpoint whose tiles
 * are missing, nor a half-written file. Full tiles are written once and never
 * rewritten; the partial tiles a full one replaces are removed afterwards
 * (the spec allows it; clients fall back to the full tile).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TILE_WIDTH, bytesEqual, formatTilePath, newTiles, parseCosignedCheckpoint, toSafeNumber, type TileRef } from '@sigsum-kit/sdk';
import { treeRoot } from '@sigsum-kit/sdk/internal';
import type { Storage } from '../storage/types.js';
import { checkpointNote, tileBody } from './resources.js';
import { ExportError } from '../errors.js';

/** Options of {@link exportTiles}. */
export interface ExportOptions {
  /** Witness public keys for the checkpoint's cosignature lines. */
  witnessKeys?: readonly Uint8Array[];
  /** Called after each tile or bundle written or found in place: `done` of `total` for this pass. */
  onProgress?: (done: number, total: number) => void;
}

/** What one export pass did. */
export interface ExportResult {
  /** Size of the checkpoint now in the directory (0 if none is published). */
  size: number;
  /** Tiles and bundles written by this pass. */
  written: number;
  /** Whether the checkpoint file was replaced. */
  checkpointWritten: boolean;
}

let tmpCounter = 0;

function writeAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, path);
}

/**
 * Bring `dir` up to the log's last published tree head: write the tiles and
 * bundles that are new since the checkpoint already there, then the checkpoint.
 * @throws ExportError `export.other-log` (the directory holds another log's
 *   checkpoint), `export.rollback` (its checkpoint is newer than ours),
 *   `export.fork` (its checkpoint is not a prefix of our tree).
 */
export function exportTiles(storage: Storage, dir: string, opts: ExportOptions = {}): ExportResult {
  const head = storage.latestTreeHead();
  const key = storage.logPublicKey();
  if (head === undefined || key === undefined) return { size: 0, written: 0, checkpointWritten: false };
  const cpPath = join(dir, 'checkpoint');
  const note = checkpointNote(head, key, opts.witnessKeys ?? []);
  let oldSize = 0;
  if (existsSync(cpPath)) {
    const existing = readFileSync(cpPath, 'utf8');
    if (existing === note) return { size: head.size, written: 0, checkpointWritten: false };
    let old;
    try {
      old = parseCosignedCheckpoint(existing, key).treeHead;
    } catch (e) {
      throw new ExportError('export.other-log', `${cpPath} is not a checkpoint of this log: ${(e as Error).message}`);
    }
    oldSize = toSafeNumber(old.size, 'checkpoint size');
    if (oldSize > head.size) throw new ExportError('export.rollback', `${cpPath} has size ${oldSize}, beyond the published size ${head.size}`);
    if (!bytesEqual(treeRoot(oldSize, storage), old.rootHash)) throw new ExportError('export.fork', `${cpPath} (size ${oldSize}) is not a prefix of this log's tree`);
  }
  let written = 0;
  const replaced: TileRef[] = [];
  const todo = [...newTiles(oldSize, head.size)];
  for (const [i, t] of todo.entries()) {
    opts.onProgress?.(i, todo.length);
    const path = join(dir, formatTilePath(t));
    // Full tiles are immutable: one already there (an interrupted earlier pass) has the same bytes.
    if (t.width === TILE_WIDTH && existsSync(path)) continue;
    writeAtomic(path, tileBody(storage, t));
    written++;
    if (t.width === TILE_WIDTH) replaced.push(t);
  }
  opts.onProgress?.(todo.length, todo.length);
  writeAtomic(cpPath, note);
  // Only now, with a checkpoint that names the full tiles: drop the partial ones they replace.
  for (const t of replaced) rmSync(join(dir, formatTilePath(t) + '.p'), { recursive: true, force: true });
  return { size: head.size, written, checkpointWritten: true };
}
