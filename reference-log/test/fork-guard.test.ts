/**
 * The start-up guard against forks (issue 10 item 1), with real processes
 * and real SQLite files: `primary`, `secondary` and `status` never create a
 * data directory or a database, and a database that is missing, empty,
 * schema-less, without a start-up mode, or behind the published-tree-head
 * file is refused with a message saying what to check — nothing is created
 * or published (quorum none would otherwise publish a size-0 head at once).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startLogProcess, tempDir } from './log-helpers.js';
import { addLeaves, copyLog, editDatabase, guardText, runCli, stoppedLogWithLeaves, storedHeadSizes } from './integrity-helpers.js';

const scratch = tempDir('sigsum-fork-guard-');
let base: string;
/** The base log's database after its first publication (size 0): an "older backup". */
let oldBackup: string;
let baseGuard: string;

beforeAll(async () => {
  base = join(scratch.dir, 'base');
  const config = await stoppedLogWithLeaves(base, 0);
  oldBackup = join(scratch.dir, 'old-backup.sqlite');
  writeFileSync(oldBackup, readFileSync(join(base, 'data', 'log.sqlite')));
  const log = await startLogProcess(config);
  try {
    await addLeaves(log, 3, 'fork guard', 3);
  } finally {
    await log.stop();
  }
  baseGuard = guardText(base);
}, 60_000);
afterAll(() => scratch.cleanup());

let n = 0;
function copy(): { dir: string; config: string } {
  const dir = join(scratch.dir, `case-${++n}`);
  return { dir, config: copyLog(base, dir) };
}

describe('fork guard: refused databases', () => {
  it('writes the published-tree-head file beside the configuration', () => {
    expect(baseGuard).toMatch(/^size=3\nroot_hash=[0-9a-f]{64}\nsignature=[0-9a-f]{128}\n$/);
    expect(storedHeadSizes(base).at(-1)).toBe(3);
  });

  it('refuses a missing data directory (primary, status) and creates nothing', async () => {
    const { dir, config } = copy();
    renameSync(join(dir, 'data'), join(dir, 'elsewhere'));
    const [primary, status] = await Promise.all([runCli(['primary', '-c', config]), runCli(['status', '-c', config])]);
    for (const r of [primary, status]) {
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `sigsum-log: the data directory ${join(dir, 'data')} does not exist: is the data volume mounted, and is dataDir right? ` +
          'Only `sigsum-log init` creates a database (a secondary\'s: `sigsum-log init --secondary-of KEY`). ' +
          `The published-tree-head file ${join(dir, 'published-tree-head')} says this log has published a tree head of size 3: a new tree would fork the log.\n`,
      );
    }
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(guardText(dir)).toBe(baseGuard);
  });

  it('refuses a deleted database while the published-tree-head file exists', async () => {
    const { dir, config } = copy();
    rmSync(join(dir, 'data', 'log.sqlite'));
    const r = await runCli(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: the database \S+\/data\/log\.sqlite does not exist \(dataDir \S+\/data\): is the data volume mounted, and is dataDir right\? .* says this log has published a tree head of size 3: a new tree would fork the log\.\n$/);
    expect(existsSync(join(dir, 'data', 'log.sqlite'))).toBe(false);
    expect(guardText(dir)).toBe(baseGuard);
  });

  it('refuses an empty (0-byte) database file and leaves it as it is', async () => {
    const { dir, config } = copy();
    for (const f of ['log.sqlite-wal', 'log.sqlite-shm']) rmSync(join(dir, 'data', f), { force: true });
    writeFileSync(join(dir, 'data', 'log.sqlite'), '');
    const [primary, status] = await Promise.all([runCli(['primary', '-c', config]), runCli(['status', '-c', config])]);
    for (const r of [primary, status]) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^sigsum-log: the database \S+\/log\.sqlite is empty \(0 bytes\): it is not a log's database \(an interrupted copy or restore\?\); restore it from a backup/);
    }
    expect(readFileSync(join(dir, 'data', 'log.sqlite')).length).toBe(0);
    expect(existsSync(join(dir, 'data', 'log.sqlite-wal'))).toBe(false);
    expect(guardText(dir)).toBe(baseGuard);
  });

  it('refuses a database restored from a backup older than the published-tree-head file', async () => {
    const { dir, config } = copy();
    for (const f of ['log.sqlite-wal', 'log.sqlite-shm']) rmSync(join(dir, 'data', f), { force: true });
    writeFileSync(join(dir, 'data', 'log.sqlite'), readFileSync(oldBackup));
    const before = storedHeadSizes(dir);
    expect(before.at(-1)).toBe(0);
    const r = await runCli(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `sigsum-log: the published-tree-head file ${join(dir, 'published-tree-head')} says a tree head of size 3 was published, but the database's newest tree head is of size 0: ` +
        "this database is not the log's latest state (restored from an older backup? re-initialised? wrong dataDir or an unmounted volume?); serving it would fork the log (docs/operations.md)\n",
    );
    expect(storedHeadSizes(dir)).toEqual(before);
    expect(guardText(dir)).toBe(baseGuard);
  });

  it('refuses a newly initialised database in place of the log\'s', async () => {
    const { dir, config } = copy();
    const other = join(scratch.dir, `fresh-${n}`);
    expect((await runCli(['init', '--dir', other])).status).toBe(0);
    writeFileSync(join(dir, 'data', 'log.sqlite'), readFileSync(join(other, 'data', 'log.sqlite')));
    // The fresh database has the other log's key; with the key stripped it would be adopted, so check both.
    editDatabase(dir, (db) => db.prepare("DELETE FROM meta WHERE key = 'log_public_key'").run());
    const r = await runCli(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/says a tree head of size 3 was published, but the database's newest tree head is none: this database is not the log's latest state/);
    expect(storedHeadSizes(dir)).toEqual([]);
  });

  it('refuses a database without the schema or without a start-up mode', async () => {
    const a = copy();
    rmSync(join(a.dir, 'data', 'log.sqlite'));
    const db = new Database(join(a.dir, 'data', 'log.sqlite'));
    db.exec('CREATE TABLE other (x INTEGER)');
    db.close();
    const b = copy();
    editDatabase(b.dir, (d) => d.prepare("DELETE FROM meta WHERE key = 'startup_mode'").run());
    const [ra, rb] = await Promise.all([runCli(['primary', '-c', a.config]), runCli(['primary', '-c', b.config])]);
    expect(ra.status).toBe(1);
    expect(ra.stderr).toMatch(/^sigsum-log: cannot open the database \S+: the database has no sigsum-log schema \(not created by `sigsum-log init`\)\. The published-tree-head file/);
    expect(rb.status).toBe(1);
    expect(rb.stderr).toBe(
      'sigsum-log: the database records no start-up mode, so it was not created by `sigsum-log init`; refusing to start a tree under the log key ' +
        '(is the data volume mounted, is dataDir right, was the database replaced?)\n',
    );
    expect(storedHeadSizes(b.dir)).toEqual(storedHeadSizes(base));
  });

  it('refuses a missing published-tree-head file until the operator trusts the database', async () => {
    const { dir, config } = copy();
    rmSync(join(dir, 'published-tree-head'));
    const r = await runCli(['primary', '-c', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: the database holds published tree heads \(newest: size 3\) but the published-tree-head file \S+ is missing, .* start once with --trust-database/);
    expect(existsSync(join(dir, 'published-tree-head'))).toBe(false);
    const log = await startLogProcess(config, ['--trust-database']);
    try {
      expect((await get(log.url + 'get-tree-head')).text).toMatch(/^size=3\n/);
    } finally {
      await log.stop();
    }
    expect(guardText(dir)).toMatch(/^size=3\n/);
  });

  it('refuses a secondary without its database and creates nothing', async () => {
    const dir = join(scratch.dir, 'secondary');
    expect((await runCli(['init', '--dir', dir, '--secondary-of', join(base, 'log.key.pub')])).status).toBe(0);
    rmSync(join(dir, 'data'), { recursive: true });
    const r = await runCli(['secondary', '-c', join(dir, 'config.json'), '--primary-url', 'http://127.0.0.1:9/', '--internal-listen', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: the data directory \S+\/secondary\/data does not exist: is the data volume mounted, and is dataDir right\?/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('starts normally on the intact copy and moves the file with each new head', async () => {
    const { dir, config } = copy();
    mkdirSync(join(dir, 'unused'));
    const log = await startLogProcess(config);
    try {
      await addLeaves(log, 1, 'fork guard after', 4);
      expect(guardText(dir)).toMatch(/^size=4\n/);
    } finally {
      await log.stop();
    }
  });
});
