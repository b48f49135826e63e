/**
 * Helpers of the start-up guard and integrity tests: a stopped log with
 * published leaves, copies of its directory to damage, and the CLI run to
 * exit without blocking the event loop (several refused starts in parallel).
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, get, initLog, makeSubmissions, startLogProcess, submitUntilSequenced, type LogProcess } from './log-helpers.js';

/** Exit status and output of one CLI run. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `sigsum-log ARGS` to exit (killed after `timeoutMs`: a start that was not refused). */
export function runCli(args: string[], timeoutMs = 20_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Wait until the log's get-tree-head says `size`. */
export async function waitPublished(log: LogProcess, size: number, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await get(log.url + 'get-tree-head');
    if (r.status === 200 && r.text.startsWith(`size=${size}\n`)) return r.text;
    if (Date.now() > deadline) throw new Error(`size ${size} not published: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Add `n` leaves to a running log and wait until they are published; returns the get-tree-head body. */
export async function addLeaves(log: LogProcess, n: number, label: string, size: number): Promise<string> {
  for (const s of await makeSubmissions(n, label)) await submitUntilSequenced(log.url, s.body, 20);
  return waitPublished(log, size);
}

/** Init a log in `dir` (quorum none, fast publishing), publish `n` leaves, stop it. Returns the config path. */
export async function stoppedLogWithLeaves(dir: string, n: number, overrides: Record<string, unknown> = {}): Promise<string> {
  const config = initLog(dir, { intervalMs: 100, ...overrides });
  const log = await startLogProcess(config);
  try {
    if (n > 0) await addLeaves(log, n, `integrity ${dir}`, n);
    else await waitPublished(log, 0);
  } finally {
    await log.stop();
  }
  return config;
}

/** Copy a log directory (config paths are relative, so the copy is a log of its own). */
export function copyLog(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return join(to, 'config.json');
}

/** Edit a stopped log's database directly. */
export function editDatabase(dir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'data', 'log.sqlite'));
  try {
    fn(db);
  } finally {
    db.close();
  }
}

/** The stored tree heads' sizes, oldest first (read-only). */
export function storedHeadSizes(dir: string): number[] {
  const db = new Database(join(dir, 'data', 'log.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT size FROM tree_heads ORDER BY id').all() as { size: number }[]).map((r) => r.size);
  } finally {
    db.close();
  }
}

/** The published-tree-head file's text. */
export function guardText(dir: string): string {
  return readFileSync(join(dir, 'published-tree-head'), 'utf8');
}
