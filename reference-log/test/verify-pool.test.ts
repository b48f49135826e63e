/**
 * The verify pool (worker threads running `ed25519VerifyNode`): Go's verdict
 * on every CCTV vector through the workers, one bad signature among many in
 * one batch refused alone, a worker killed with triples in flight loses
 * nothing and is restarted, `close` stops every thread, triples asked for
 * before a thread is ready are verified on the main thread, and a lazy pool
 * starts its threads at the first busy turn and stops them when idle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, parseAddLeafRequest, utf8, TREE_LEAF_NAMESPACE } from '@sigsum-kit/sdk';
import { loadCctvEd25519 } from '@sigsum-kit/test-vectors';
import { goVerdict } from '../../test-vectors/suite/cctv.js';
import { leafOfRequest } from '../src/crypto/node-crypto.js';
import { createVerifyPool, MIN_JOB, type VerifyPool, type WorkerExit } from '../src/crypto/verify-pool.js';
import { makeSubmissions } from './log-helpers.js';

interface Triple {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

const NS = utf8(TREE_LEAF_NAMESPACE + '\0');

/** `n` valid leaf-signature triples (namespace || checksum, as add-leaf checks them). */
async function leafTriples(n: number, label: string): Promise<Triple[]> {
  return (await makeSubmissions(n, label)).map((s) => {
    const req = parseAddLeafRequest(s.body);
    const message = new Uint8Array(NS.length + 32);
    message.set(NS);
    message.set(leafOfRequest(req).checksum, NS.length);
    return { publicKey: req.publicKey, message, signature: req.signature };
  });
}

const waitFor = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let pools: VerifyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});
function startPool(workers: number, onWorkerExit?: (e: WorkerExit) => void, more: { lazy?: boolean; idleMs?: number } = {}): VerifyPool {
  const p = createVerifyPool({ workers, onWorkerExit, ...more });
  pools.push(p);
  return p;
}

describe('verify pool', () => {
  it("gives Go's Ed25519 verdict on every CCTV vector, verified by the workers in batches", async () => {
    const vectors = (await loadCctvEd25519()) as { number: number; key: string; sig: string; msg: string; flags: string[] | null }[];
    expect(vectors.length).toBe(914);
    const pool = startPool(2);
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    const got = await Promise.all(vectors.map((v) => pool.verify(fromHex(v.key), utf8(v.msg), fromHex(v.sig))));
    const wrong = vectors.filter((v, i) => (got[i] ? 'accept' : 'reject') !== goVerdict(v.flags)).map((v) => v.number);
    expect(wrong).toEqual([]);
    expect(got.filter((ok) => ok).length).toBe(208);
    // All asked in one turn: one job per worker, every triple answered by a worker.
    const wellFormed = vectors.filter((v) => v.key.length === 64 && v.sig.length === 128).length;
    expect(pool.stats).toEqual({ jobs: 2, triples: wellFormed, mainThread: 0, starts: 1, idleStops: 0 });
  });

  it('refuses exactly the one bad signature among many good ones in one batch', async () => {
    const triples = await leafTriples(200, 'verify-pool batch');
    const bad = 137;
    const forged = Uint8Array.from(triples[bad]!.signature);
    forged[10]! ^= 0x01;
    triples[bad] = { ...triples[bad]!, signature: forged };
    // Another leaf's signature on this message: well formed, wrong.
    triples[3] = { ...triples[3]!, signature: triples[4]!.signature };
    const pool = startPool(2);
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    const got = await Promise.all(triples.map((t) => pool.verify(t.publicKey, t.message, t.signature)));
    expect(got.flatMap((ok, i) => (ok ? [] : [i]))).toEqual([3, bad]);
    expect(pool.stats.jobs).toBe(2);
  });

  it('verifies on the main thread what a killed worker held, and restarts the worker', async () => {
    const triples = await leafTriples(400, 'verify-pool kill');
    const forged = Uint8Array.from(triples[250]!.signature);
    forged[0]! ^= 0x80;
    triples[250] = { ...triples[250]!, signature: forged };
    const exits: WorkerExit[] = [];
    const pool = startPool(2, (e) => exits.push(e));
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    const victim = pool.threads[0]!;
    const answers = triples.map((t) => pool.verify(t.publicKey, t.message, t.signature));
    // The batch is posted after this turn's I/O; kill the first worker while it holds its half.
    await new Promise((r) => setImmediate(r));
    expect(pool.stats.jobs).toBe(2);
    await victim.terminate();
    const got = await Promise.all(answers);
    expect(got.flatMap((ok, i) => (ok ? [] : [i]))).toEqual([250]);
    expect(exits.length).toBe(1);
    expect(exits[0]!.threadId).toBe(victim.threadId);
    expect(exits[0]!.retried).toBeGreaterThan(0);
    expect(pool.stats.mainThread).toBe(exits[0]!.retried);
    expect(pool.stats.triples + pool.stats.mainThread).toBe(400);
    // Restarted: two ready threads again, and the new one answers.
    await waitFor(() => pool.readyThreads === 2 && !pool.threads.includes(victim), 'restart');
    const again = await Promise.all(triples.map((t) => pool.verify(t.publicKey, t.message, t.signature)));
    expect(again.flatMap((ok, i) => (ok ? [] : [i]))).toEqual([250]);
    expect(pool.stats.triples + pool.stats.mainThread).toBe(800);
  });

  it('stops every thread on close and still answers afterwards, on the main thread', async () => {
    const [t] = await leafTriples(1, 'verify-pool close');
    const pool = startPool(3);
    await waitFor(() => pool.readyThreads === 3, 'ready threads');
    const threads = [...pool.threads];
    const exited = threads.map((w) => new Promise<number>((r) => w.once('exit', r)));
    const inFlight = pool.verify(t!.publicKey, t!.message, t!.signature);
    await pool.close();
    expect(await inFlight).toBe(true);
    await Promise.all(exited);
    expect(pool.threads).toEqual([]);
    expect(await pool.verify(t!.publicKey, t!.message, t!.signature)).toBe(true);
    const forged = Uint8Array.from(t!.signature);
    forged[5]! ^= 1;
    expect(await pool.verify(t!.publicKey, t!.message, forged)).toBe(false);
  });

  it('verifies on the main thread until a thread is ready: no request waits for a thread to start', async () => {
    const triples = await leafTriples(40, 'verify-pool not ready');
    const forged = Uint8Array.from(triples[9]!.signature);
    forged[2]! ^= 0x10;
    triples[9] = { ...triples[9]!, signature: forged };
    const pool = startPool(2);
    expect(pool.threads.length).toBe(2);
    expect(pool.readyThreads).toBe(0);
    const verdicts = async (): Promise<number[]> =>
      (await Promise.all(triples.map((t) => pool.verify(t.publicKey, t.message, t.signature)))).flatMap((ok, i) => (ok ? [] : [i]));
    expect(await verdicts()).toEqual([9]);
    expect(pool.stats).toMatchObject({ jobs: 0, triples: 0, mainThread: 40 });
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    expect(await verdicts()).toEqual([9]);
    expect(pool.stats).toMatchObject({ jobs: 2, triples: 40, mainThread: 40 });
  });

  it('starts no thread for turns of fewer than MIN_JOB triples; a busy turn starts them, idleMs without a job stops them', async () => {
    const triples = await leafTriples(40, 'verify-pool lazy');
    const forged = Uint8Array.from(triples[7]!.signature);
    forged[1]! ^= 0x04;
    triples[7] = { ...triples[7]!, signature: forged };
    const exits: WorkerExit[] = [];
    const pool = startPool(2, (e) => exits.push(e), { lazy: true, idleMs: 300 });
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.threads).toEqual([]);
    expect(pool.stats.starts).toBe(0);
    const verdicts = async (n = triples.length): Promise<number[]> =>
      (await Promise.all(triples.slice(0, n).map((t) => pool.verify(t.publicKey, t.message, t.signature)))).flatMap((ok, i) => (ok ? [] : [i]));
    // A submission now and then is verified on the main thread; no thread starts for it.
    expect(await verdicts(MIN_JOB - 1)).toEqual([]);
    expect(await verdicts(MIN_JOB - 1)).toEqual([]);
    expect(pool.threads).toEqual([]);
    expect(pool.stats).toMatchObject({ jobs: 0, mainThread: 2 * (MIN_JOB - 1), starts: 0 });
    // A busy turn starts the threads and is verified on the main thread meanwhile.
    expect(await verdicts()).toEqual([7]);
    expect(pool.stats).toMatchObject({ jobs: 0, mainThread: 2 * (MIN_JOB - 1) + 40, starts: 1 });
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    expect(await verdicts()).toEqual([7]);
    expect(pool.stats).toMatchObject({ jobs: 2, triples: 40, starts: 1 });
    const first = [...pool.threads];
    const exited = first.map((w) => new Promise<number>((r) => w.once('exit', r)));
    await waitFor(() => pool.stats.idleStops === 1, 'idle stop', 5000);
    await Promise.all(exited);
    expect(pool.threads).toEqual([]);
    // An idle stop is not a failure: nothing retried, nothing reported, no restart.
    expect(exits).toEqual([]);
    expect(pool.stats.mainThread).toBe(2 * (MIN_JOB - 1) + 40);
    // The next busy turn starts new threads, which take the jobs once ready.
    expect(await verdicts()).toEqual([7]);
    expect(pool.stats).toMatchObject({ starts: 2, jobs: 2 });
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    expect(pool.threads.some((w) => first.includes(w))).toBe(false);
    expect(await verdicts()).toEqual([7]);
    expect(pool.stats).toMatchObject({ jobs: 4, triples: 80, starts: 2, idleStops: 1 });
    // Threads started by a burst that has passed, never given a job, stop when idle too.
    await waitFor(() => pool.stats.idleStops === 2, 'idle stop', 5000);
    expect(await verdicts()).toEqual([7]);
    expect(pool.stats).toMatchObject({ starts: 3, jobs: 4 });
    await waitFor(() => pool.readyThreads === 2, 'ready threads');
    await waitFor(() => pool.stats.idleStops === 3, 'idle stop of threads that had no job', 5000);
    expect(pool.threads).toEqual([]);
    expect(exits).toEqual([]);
  });
});
