/**
 * Damaged databases and the integrity commands (issue 10 items 3 and 4),
 * with real processes and real SQLite files edited on a stopped log:
 * - the start-up check recomputes the newest leaves, their nodes and the
 *   published root from the leaves and refuses a damaged database;
 * - beyond that window, reads check contiguity and leaf hashes: a damaged
 *   range answers 503 with the storage error (logged, counted), never fewer
 *   leaves than asked for;
 * - `sigsum-log check` finds the first bad index; `sigsum-log backup` takes
 *   a checked snapshot of a running log without stopping it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, get, startLogProcess, tempDir } from './log-helpers.js';
import { addLeaves, copyLog, editDatabase, runCli, stoppedLogWithLeaves, storedHeadSizes } from './integrity-helpers.js';

const scratch = tempDir('sigsum-integrity-');
let base: string;

beforeAll(async () => {
  base = join(scratch.dir, 'base');
  await stoppedLogWithLeaves(base, 6);
}, 60_000);
afterAll(() => scratch.cleanup());

let n = 0;
function copy(overrides: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = join(scratch.dir, `case-${++n}`);
  const config = copyLog(base, dir);
  const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  Object.assign(c, overrides);
  writeFileSync(config, JSON.stringify(c, null, 2));
  return { dir, config };
}

/** Damage done to the stopped log's database, the first bad index and the check's error line. */
const damages: [string, (db: Database.Database) => void, number, string][] = [
  ['a deleted middle leaf row', (db) => db.prepare('DELETE FROM leaves WHERE idx = 2').run(), 2, 'missing-leaf: leaf 2 is missing from the database'],
  ['a rewritten leaf', (db) => db.prepare('UPDATE leaves SET leaf = zeroblob(128) WHERE idx = 3').run(), 3, 'leaf-hash: leaf 3 does not hash to its stored leaf hash'],
  ['a rewritten leaf hash', (db) => db.prepare('UPDATE leaves SET leaf_hash = zeroblob(32) WHERE idx = 3').run(), 3, 'leaf-hash: leaf 3 does not hash to its stored leaf hash'],
  ['an edited interior node', (db) => db.prepare('UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 1').run(), 3, 'node: interior node (level 1, index 1) differs from the hash of its leaves'],
];

describe('damaged leaves and nodes on a stopped log', () => {
  it.each(damages)('refuses to start with %s, and check reports the first bad index', async (_name, damage, index, error) => {
    const { dir, config } = copy();
    editDatabase(dir, damage);
    const before = storedHeadSizes(dir);
    const [primary, check] = await Promise.all([runCli(['primary', '-c', config]), runCli(['check', '-c', config])]);
    expect(primary.status).toBe(1);
    expect(primary.stderr).toBe(`sigsum-log: the database is damaged: ${error.slice(error.indexOf(': ') + 2)}; refusing to serve it (run \`sigsum-log check\`, then restore, docs/operations.md)\n`);
    expect(storedHeadSizes(dir)).toEqual(before);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`\nresult=damaged\nfirst_bad_index=${index}\nerror=${error}\n`);
    expect(check.stderr).toBe(`sigsum-log: the database is damaged at index ${index}: ${error.slice(error.indexOf(': ') + 2)}\n`);
  });

  it('check finds a tree head not signed by the log key', async () => {
    const { dir, config } = copy();
    editDatabase(dir, (db) => db.prepare('UPDATE tree_heads SET signature = zeroblob(64) WHERE id = (SELECT MAX(id) FROM tree_heads)').run());
    const r = await runCli(['check', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\nresult=damaged\nfirst_bad_index=6\nerror=signature: stored tree head #\d+ \(size 6\) is not signed by the log key [0-9a-f]{64}\n$/);
  });

  it('serves beyond the start-up window with 503 storage errors, logged and counted, never a short answer', async () => {
    // Window 0: the start-up check reads only the published root from the stored nodes.
    const { dir, config } = copy({ startupVerifyLeaves: 0 });
    editDatabase(dir, (db) => {
      db.prepare('DELETE FROM leaves WHERE idx = 2').run();
      db.prepare('UPDATE leaves SET leaf = zeroblob(128) WHERE idx = 4').run();
    });
    const log = await startLogProcess(config);
    try {
      const whole = await get(log.url + 'get-leaves/0/2');
      expect(whole.status).toBe(200);
      expect(whole.text.split('\n').filter((l) => l.startsWith('leaf=')).length).toBe(2);
      const missing = await get(log.url + 'get-leaves/0/4');
      expect(missing.status).toBe(503);
      expect(missing.text).toBe("storage error (storage.missing-leaf): leaf 2 is missing from the database; the log's operator must check its database\n");
      const rewritten = await get(log.url + 'get-leaves/4/6');
      expect(rewritten.status).toBe(503);
      expect(rewritten.text).toBe("storage error (storage.leaf-hash): leaf 4 does not hash to its stored leaf hash; the log's operator must check its database\n");
      // An inclusion proof of leaf 3 needs leaf 2's hash.
      const leaf3 = editLeafHash(dir, 3);
      const proof = await get(log.url + `get-inclusion-proof/6/${leaf3}`);
      expect(proof.status).toBe(503);
      expect(proof.text).toBe("storage error (storage.missing-leaf): leaf 2 is missing from the database; the log's operator must check its database\n");
      const internal = await get(log.internalUrl + 'get-leaves/0/4');
      expect(internal.status).toBe(503);
      const metrics = (await get(log.internalUrl + 'metrics')).text;
      expect(metrics).toMatch(/^sigsum_log_storage_errors_total\{[^}]*operation="getLeaves"[^}]*\} 3$/m);
      expect(metrics).toMatch(/^sigsum_log_storage_errors_total\{[^}]*operation="getNode"[^}]*\} 1$/m);
      const errors = log
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"storage error"'))
        .map((l) => JSON.parse(l) as { level: number; code: string });
      expect(errors.map((e) => [e.level, e.code])).toEqual([
        [50, 'storage.missing-leaf'],
        [50, 'storage.leaf-hash'],
        [50, 'storage.missing-leaf'],
        [50, 'storage.missing-leaf'],
      ]);
    } finally {
      await log.stop();
    }
  });
});

/** Hex leaf hash of leaf `i` as stored. */
function editLeafHash(dir: string, i: number): string {
  let hex = '';
  editDatabase(dir, (db) => {
    const row = db.prepare('SELECT leaf_hash FROM leaves WHERE idx = ?').get(i) as { leaf_hash: Buffer };
    hex = row.leaf_hash.toString('hex');
  });
  return hex;
}

describe('check and backup on a running log', () => {
  it('checks a live database and backs it up while the log keeps publishing', { timeout: 90_000 }, async () => {
    const { dir, config } = copy();
    const log = await startLogProcess(config);
    try {
      const check = await runCli(['check', '-c', config]);
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
      expect(check.stdout).toMatch(/^tree_size=6\nleaves_checked=6\nnodes_checked=4\ntree_heads_checked=\d+\nnewest_tree_head_size=6\npublished_tree_head_file_size=6\nresult=ok\n$/);
      const dest = join(scratch.dir, 'backup.sqlite');
      // The log publishes while the backup runs: the backup is a snapshot, the log is not blocked.
      const [backup] = await Promise.all([runCli(['backup', '-c', config, dest]), addLeaves(log, 2, 'integrity live', 8)]);
      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      expect(backup.stdout).toMatch(new RegExp(`^tree_size=[68]\\n(.*\\n)*result=ok\\nbackup=${dest.replace(/[.]/g, '\\.')}\\n$`));
      expect(existsSync(`${dest}.partial`)).toBe(false);
      const again = await runCli(['check', '--database', dest]);
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/\nresult=ok\n$/);
      const refused = await runCli(['backup', '-c', config, dest]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(`sigsum-log: ${dest} already exists; refusing to overwrite\n`);
      expect((await get(log.url + 'get-tree-head')).text).toMatch(/^size=8\n/);
    } finally {
      await log.stop();
    }
    expect(storedHeadSizes(dir).at(-1)).toBe(8);
  });
});

describe('check and backup on a terminal', () => {
  /** Run the CLI on a pseudo-terminal (script(1)); its output as the terminal shows it. */
  function onTty(args: string[]): Promise<{ status: number | null; out: string }> {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    const p = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise((res) => p.on('close', (status) => res({ status, out })));
  }

  it('shows how far the check has got on a terminal (and nothing extra in scripts, above)', async () => {
    const { config } = copy();
    const check = await onTty(['check', '-c', config]);
    expect(check.status).toBe(0);
    expect(check.out).toMatch(/^(\rchecking: \d+\/6 leaves \(\d+%\))*\rchecking: 6\/6 leaves \(100%\)\r\ntree_size=6\r\n/);
    const dest = join(scratch.dir, 'tty-backup.sqlite');
    const backup = await onTty(['backup', '-c', config, dest]);
    expect(backup.status).toBe(0);
    expect(backup.out).toContain('\rchecking the backup: 6/6 leaves (100%)\r\n');
    expect(backup.out).toContain(`backup=${dest}`);
  });
});
