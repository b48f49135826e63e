/**
 * add-leaf with signatures checked on worker threads (`verifyWorkers`), over
 * real HTTP on 127.0.0.1 and a durable SQLite log: a bad signature among
 * many good ones gets exactly its own 403 and is not stored; a lone
 * submission starts no thread; re-sends of known leaves reach no worker; a
 * worker killed under load loses no request and is restarted; the
 * `sigsum-log` process with workers stops on SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SeedSigner, sha256, utf8 } from '@sigsum-kit/sdk';
import { openSqliteStorage } from '../src/storage/index.js';
import { startLog, type RunningLog } from '../src/log.js';
import { MIN_JOB, type VerifyPool } from '../src/crypto/verify-pool.js';
import { createMetrics, type LogMetrics } from '../src/metrics/index.js';
import { sample } from './prometheus-text.js';
import { get, initLog, makeSubmissions, startLogProcess, submitUntilSequenced, tempDir, type Submission } from './log-helpers.js';

const BAD_SIGNATURE = 'signature: leaf signature does not verify\n';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pooledLog(workers: number): Promise<{ log: RunningLog; dbPath: string; metrics: LogMetrics }> {
  const tmp = tempDir('sigsum-add-leaf-pool-');
  cleanups.push(tmp.cleanup);
  const dbPath = join(tmp.dir, 'log.sqlite');
  const storage = openSqliteStorage(dbPath, { create: true });
  const metrics = createMetrics('primary', { defaultMetrics: false });
  const log = await startLog({ storage, signer: new SeedSigner(sha256(utf8('add-leaf pool log'))), intervalMs: 100, integrateIntervalMs: 5, verifyWorkers: workers, metrics });
  cleanups.push(() => log.close());
  return { log, dbPath, metrics };
}

/** The verify-pool metrics as a scrape shows them: threads started and ready, checks on threads and on the main thread. */
async function poolMetrics(metrics: LogMetrics): Promise<number[]> {
  const text = await metrics.registry.metrics();
  return [
    sample(text, 'sigsum_log_verify_threads', { state: 'started' }),
    sample(text, 'sigsum_log_verify_threads', { state: 'ready' }),
    sample(text, 'sigsum_log_verify_pool_checks_total', { on: 'thread' }),
    sample(text, 'sigsum_log_verify_pool_checks_total', { on: 'main' }),
  ].map((v) => v ?? Number.NaN);
}

/** A copy of `s` whose signature has one bit flipped. */
function forge(s: Submission): string {
  return s.body.replace(/^signature=(.)/m, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
}

async function publishedAtLeast(log: RunningLog, n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (log.sequencer.publishedSize < n) {
    if (Date.now() > deadline) throw new Error(`published size ${log.sequencer.publishedSize}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start the threads as a busy turn does (MIN_JOB checks at once, verified on the main thread meanwhile) and wait until they take jobs. */
async function readyThreads(pool: VerifyPool, n: number): Promise<void> {
  const key = new Uint8Array(32);
  const signature = new Uint8Array(64);
  expect(await Promise.all(Array.from({ length: MIN_JOB }, () => pool.verify(key, key, signature)))).toEqual(Array(MIN_JOB).fill(false));
  const deadline = Date.now() + 15_000;
  while (pool.readyThreads < n) {
    if (Date.now() > deadline) throw new Error(`${pool.readyThreads} ready threads, expected ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url + 'add-leaf', { method: 'POST', body });
  return { status: r.status, text: await r.text() };
}

describe('add-leaf with the verify pool', () => {
  it('answers 403 to exactly the bad signature among many good ones, stores only the good ones, and re-sends skip the workers', async () => {
    const { log, dbPath, metrics } = await pooledLog(2);
    const pool = log.verifyPool!;
    expect(await poolMetrics(metrics)).toEqual([0, 0, 0, 0]);
    // Not started by start-up, nor by a lone submission (checked on the main thread).
    expect(pool.threads.length).toBe(0);
    const subs = await makeSubmissions(81, 'add-leaf pool');
    const lone = subs.pop()!;
    expect([200, 202]).toContain((await post(log.url, lone.body)).status);
    expect(pool.threads.length).toBe(0);
    expect(pool.stats).toMatchObject({ mainThread: 1, starts: 0 });
    expect(await poolMetrics(metrics)).toEqual([0, 0, 0, 1]);
    await readyThreads(pool, 2);
    const onMain = pool.stats.mainThread;
    const bad = 41;
    const bodies = subs.map((s, i) => (i === bad ? forge(s) : s.body));
    const answers = await Promise.all(bodies.map((b) => post(log.url, b)));
    expect(answers[bad]).toEqual({ status: 403, text: BAD_SIGNATURE });
    expect(answers.filter((a, i) => i !== bad && a.status !== 202 && a.status !== 200)).toEqual([]);
    expect(pool.stats.triples).toBe(80);
    expect(pool.stats.mainThread).toBe(onMain);
    expect(pool.stats.jobs).toBeLessThanOrEqual(80);
    expect(pool.threads.length).toBe(2);
    expect(await poolMetrics(metrics)).toEqual([2, 2, 80, 1 + MIN_JOB]);

    // Every good leaf is sequenced; re-sends answer 200 without another verification.
    await publishedAtLeast(log, 80);
    const verified = pool.stats.triples;
    const resends = await Promise.all(subs.filter((_, i) => i !== bad).map((s) => post(log.url, s.body)));
    expect(resends.every((a) => a.status === 200)).toBe(true);
    expect(pool.stats.triples).toBe(verified);
    expect(pool.stats.mainThread).toBe(onMain);
    // The bad leaf's body is refused again, with the same message.
    expect(await post(log.url, bodies[bad]!)).toEqual({ status: 403, text: BAD_SIGNATURE });
    expect(pool.stats.triples).toBe(verified + 1);

    // Durable: the database holds exactly the 80 good leaves.
    await log.close();
    const db = openSqliteStorage(dbPath);
    try {
      expect(db.treeSize()).toBe(80);
      expect(db.leafIndex(lone.leafHash)).toBeDefined();
      for (const [i, s] of subs.entries()) expect(db.leafIndex(s.leafHash) === undefined, `leaf ${i}`).toBe(i === bad);
    } finally {
      db.close();
    }
  });

  it('loses no request when a worker is killed under load, and restarts it', async () => {
    const { log } = await pooledLog(2);
    const pool = log.verifyPool!;
    const subs = await makeSubmissions(300, 'add-leaf pool kill');
    const bad = new Set([17, 150, 299]);
    await readyThreads(pool, 2);
    const jobs0 = pool.stats.jobs;
    const answers = Promise.all(subs.map((s, i) => post(log.url, bad.has(i) ? forge(s) : s.body)));
    while (pool.stats.jobs === jobs0) await new Promise((r) => setTimeout(r, 1));
    const victim = pool.threads[0]!;
    await victim.terminate();
    const got = await answers;
    expect(got.flatMap((a, i) => (a.status === 403 && a.text === BAD_SIGNATURE ? [i] : []))).toEqual([...bad]);
    expect(got.filter((a, i) => !bad.has(i) && a.status !== 202 && a.status !== 200)).toEqual([]);
    expect(pool.stats.triples + pool.stats.mainThread).toBe(300 + MIN_JOB);
    while (pool.threads.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(pool.threads).not.toContain(victim);
    await publishedAtLeast(log, 297);
    const resends = await Promise.all(subs.filter((_, i) => !bad.has(i)).map((s) => post(log.url, s.body)));
    expect(resends.every((a) => a.status === 200)).toBe(true);
    expect(log.sequencer.publishedSize).toBe(297);
  });

  it('runs sigsum-log with verifyWorkers and stops it cleanly on SIGTERM', async () => {
    const tmp = tempDir('sigsum-add-leaf-pool-cli-');
    cleanups.push(tmp.cleanup);
    const proc = await startLogProcess(initLog(tmp.dir, { verifyWorkers: 3 }));
    cleanups.push(async () => void (await proc.stop('SIGKILL')));
    expect(proc.output()).toContain('"verifyWorkers":3');
    const [good, other] = await makeSubmissions(2, 'add-leaf pool cli');
    await submitUntilSequenced(proc.url, good!.body, 50);
    expect(await post(proc.url, forge(other!))).toEqual({ status: 403, text: BAD_SIGNATURE });
    expect((await get(proc.url + 'get-tree-head')).status).toBe(200);
    const t = Date.now();
    expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
