/**
 * The child process of {@link verifyTreeApart}: reads an {@link ApartRequest}
 * on stdin, runs {@link verifyTree} on a read-only connection to the
 * database in one read transaction, and writes an {@link ApartAnswer} on
 * stdout. Exits when done, returning all the scan's memory to the system.
 */
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '@sigsum-kit/sdk';
import { StorageError } from '../errors.js';
import { openSqliteStorage } from './sqlite.js';
import { verifyTree } from './verify.js';
import type { ApartAnswer, ApartRequest } from './verify-apart.js';

function answer(a: ApartAnswer): void {
  process.stdout.write(JSON.stringify(a));
}

try {
  const req = JSON.parse(readFileSync(0, 'utf8')) as ApartRequest;
  const roots = new Map(req.roots.map(([size, hex]) => [size, fromHex(hex, 'root', 32)]));
  const storage = openSqliteStorage(req.path, { create: false, readonly: true });
  try {
    const { damage, ...counts } = storage.snapshot(() => verifyTree(storage, req.start, req.end, roots));
    answer({ ok: { ...counts, ...(damage === undefined ? {} : { damage: { ...damage, root: damage.root === undefined ? undefined : toHex(damage.root) } }) } });
  } finally {
    storage.close();
  }
} catch (err) {
  const e = err as Error & { code?: unknown };
  answer({ error: { storage: err instanceof StorageError, code: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(err) } });
}
