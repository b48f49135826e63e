/**
 * {@link verifyTree} over an SQLite log database in a short-lived child
 * process with its own read-only connection (`verify-child.ts`).
 *
 * Why a process: re-hashing a million leaves allocates a buffer or two per
 * row and fills SQLite's page cache; in the log's own process V8 and the C
 * allocator keep most of that memory after the scan (measured: a primary
 * over 1M leaves held 1.9× the RSS of a fresh one). A process that exits
 * returns all of it; a worker thread kept some (docs/benchmarks.md).
 *
 * The child runs the same {@link verifyTree} on the same committed state
 * (nothing writes while the log starts), so it finds the same damage with
 * the same messages; errors it throws come back with their class
 * ({@link StorageError}) or message. Where no child can run (spawn refused,
 * killed), the result says why and the caller verifies in-process instead.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '@sigsum-kit/sdk';
import { StorageError, type StorageErrorCode } from '../errors.js';
import type { TreeVerification } from './verify.js';

/** What the parent sends on the child's stdin. */
export interface ApartRequest {
  path: string;
  start: number;
  end: number;
  /** [size, hex root] pairs. */
  roots: [number, string][];
}

/** What the child writes on stdout (one JSON object). */
export type ApartAnswer =
  | { ok: Omit<TreeVerification, 'damage'> & { damage?: { index: number; code: string; message: string; root?: string } } }
  | { error: { storage: boolean; code?: string; message: string } };

/** Result of {@link verifyTreeApart}: the verification, or why no child could run. */
export type ApartVerification = { verification: TreeVerification } | { unavailable: string };

// From the TypeScript sources (tests), run the compiled child: `tsc -b` builds it.
const CHILD = fileURLToPath(
  import.meta.url.endsWith('.ts') ? new URL('../../dist/storage/verify-child.js', import.meta.url) : new URL('./verify-child.js', import.meta.url),
);

/**
 * Verify leaves `[start, end)` of the SQLite database at `path` against
 * `roots` (see {@link verifyTree}) in a child process; blocks until it ends.
 * @throws StorageError (or Error) as {@link verifyTree} would throw it.
 */
export function verifyTreeApart(
  path: string,
  start: number,
  end: number,
  roots: ReadonlyMap<number, Uint8Array>,
  /** The child's script (tests give one that cannot run). */
  child = CHILD,
): ApartVerification {
  const request: ApartRequest = { path, start, end, roots: [...roots].map(([size, root]) => [size, toHex(root)]) };
  const r = spawnSync(process.execPath, [child], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 20,
    // The scan needs nothing from the environment, which may hold a token PIN (pin-source=env:…) or NODE_OPTIONS loaders.
    env: {},
  });
  if (r.error !== undefined) return { unavailable: `cannot run ${child}: ${r.error.message}` };
  let answer: ApartAnswer;
  try {
    answer = JSON.parse(r.stdout) as ApartAnswer;
  } catch {
    const why = r.signal !== null ? `killed by ${r.signal}` : `exit code ${r.status}`;
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const error = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? '';
    return { unavailable: `${child} gave no answer (${why})${error === '' ? '' : `: ${error}`}` };
  }
  if ('error' in answer) {
    const e = answer.error;
    if (e.storage) throw new StorageError(e.code as StorageErrorCode, e.message);
    throw Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
  }
  const { damage, ...counts } = answer.ok;
  const verification: TreeVerification = { ...counts };
  if (damage !== undefined) {
    verification.damage = { index: damage.index, code: damage.code, message: damage.message };
    if (damage.root !== undefined) verification.damage.root = fromHex(damage.root, 'root', 32);
  }
  return { verification };
}
