/**
 * Ed25519 verification on `worker_threads`, so add-leaf's signature checks
 * use every core while the main thread serves HTTP and SQLite.
 *
 * Triples asked for in the same turn of the event loop go out together, one
 * transferred buffer per worker, so passing messages costs far less than the
 * verifications. Verdicts are the SDK's `verifyNativeSync` (Go's), in the
 * threads and on the main thread (`ed25519VerifyNode`). A worker that
 * dies loses nothing: its unanswered triples are verified on the main thread
 * and the worker is restarted (with a growing delay if it keeps dying at
 * once). A job goes only to a thread that has said it is ready (its
 * verifier loaded): starting one takes tens of milliseconds, hundreds
 * under load, and requests should not wait for it, so with no ready thread
 * the main thread verifies.
 *
 * Threads cost memory (≈ 8 MiB for an idle isolate, more with the modules
 * they load) and pay off only under load, so a `lazy` pool starts them at
 * the first turn that asks for at least {@link MIN_JOB} verifications (a
 * log that only serves reads, or sees a submission now and then, never has
 * them) and, with `idleMs`, stops them after that long without a job; the
 * next such turn starts them again.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ed25519VerifyNode } from './node-crypto.js';
import { KEY_BYTES, SIGNATURE_BYTES, type VerifyJob, type WorkerMessage } from './verify-protocol.js';

/**
 * Default pool size: one thread per core, at most 4 (beyond that the main
 * thread, not verification, bounds add-leaf); none on a single core, where a
 * thread would only add message passing.
 */
export function defaultVerifyWorkers(cores = availableParallelism()): number {
  return cores > 1 ? Math.min(cores, 4) : 0;
}

/** Why a worker stopped, for the log's warning. */
export interface WorkerExit {
  threadId: number;
  /** Exit code, or the error it threw. */
  reason: string;
  /** Triples it held, verified on the main thread instead. */
  retried: number;
}

/** Options of {@link createVerifyPool}. */
export interface VerifyPoolOptions {
  /** Worker threads (≥ 1). */
  workers: number;
  /** Called when a worker stops unexpectedly (not on `close` or when idle). */
  onWorkerExit?: (exit: WorkerExit) => void;
  /** Start the threads at the first turn with at least {@link MIN_JOB} verifications rather than now (default false). */
  lazy?: boolean;
  /** Stop every thread after this many ms without a job (default: never); they start again when needed. */
  idleMs?: number;
}

/** A running pool. */
export interface VerifyPool {
  /** Ed25519 verification with Go's verdicts; never rejects. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Live worker threads (for health and tests; none before a lazy pool's first busy turn or while idle). */
  readonly threads: readonly Worker[];
  /** Threads that have loaded their verifier and take jobs (until one has, the main thread verifies). */
  readonly readyThreads: number;
  /** Jobs posted and triples verified by workers so far; times the threads were started and stopped for idleness. */
  readonly stats: { jobs: number; triples: number; mainThread: number; starts: number; idleStops: number };
  /** Terminate the workers; triples still unanswered are verified on the main thread. */
  close(): Promise<void>;
}

interface Triple {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  resolve: (ok: boolean) => void;
}

interface Slot {
  worker: Worker;
  startedAt: number;
  /** Triples posted and not answered, by job id. */
  jobs: Map<number, Triple[]>;
  load: number;
  /** Its verifier is loaded: jobs may go to it. */
  ready: boolean;
  /** Stopped because the pool was idle: not a failure, not restarted. */
  retired: boolean;
}

/**
 * Fewest triples worth a job of their own (below it, a job costs about a
 * verification per triple), and the fewest in one turn that start a lazy
 * pool's threads.
 */
export const MIN_JOB = 8;
const MIN_RESTART_MS = 100;
const MAX_RESTART_MS = 10_000;
/** A worker that lived this long restarts at once. */
const HEALTHY_MS = 1000;

// From the TypeScript sources (tests), run the compiled worker: `tsc -b` builds it.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/crypto/verify-worker.js', import.meta.url)
  : new URL('./verify-worker.js', import.meta.url);

function verifyHere(t: Triple): void {
  t.resolve(ed25519VerifyNode(t.publicKey, t.message, t.signature));
}

/** Start a pool of `opts.workers` verification threads. */
export function createVerifyPool(opts: VerifyPoolOptions): VerifyPool {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`verify pool: workers must be a positive integer, got ${opts.workers}`);
  const slots: Slot[] = [];
  const stats = { jobs: 0, triples: 0, mainThread: 0, starts: 0, idleStops: 0 };
  if (opts.idleMs !== undefined && !(opts.idleMs > 0)) throw new RangeError(`verify pool: idleMs must be positive, got ${opts.idleMs}`);
  /** Whether the threads are meant to run (false before a lazy pool's first job and after an idle stop). */
  let running = false;
  let lastJobAt = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let queue: Triple[] = [];
  let flushScheduled = false;
  let nextId = 1;
  let closed = false;
  let restartMs = MIN_RESTART_MS;
  const restartTimers = new Set<NodeJS.Timeout>();

  const verifyOnMain = (triples: Triple[]): void => {
    stats.mainThread += triples.length;
    for (const t of triples) verifyHere(t);
  };

  const spawnWorker = (): void => {
    // A job allocates a few KiB; V8's default young generation (tens of MiB per
    // isolate, grown under load) would only add resident memory per thread.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    worker.unref();
    const slot: Slot = { worker, startedAt: Date.now(), jobs: new Map(), load: 0, ready: false, retired: false };
    slots.push(slot);
    let reason = '';
    worker.on('message', (answer: WorkerMessage) => {
      if ('ready' in answer) {
        slot.ready = true;
        // Threads started for a burst that has passed are stopped like idle ones.
        armIdle();
        return;
      }
      const triples = slot.jobs.get(answer.id);
      if (triples === undefined) return;
      slot.jobs.delete(answer.id);
      slot.load -= triples.length;
      if (slot.jobs.size === 0) {
        worker.unref();
        armIdle();
      }
      const verdicts = new Uint8Array(answer.verdicts);
      stats.triples += triples.length;
      for (let i = 0; i < triples.length; i++) triples[i]!.resolve(verdicts[i] === 1);
    });
    worker.on('error', (err) => {
      reason = String(err);
    });
    worker.on('exit', (code) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      const held = [...slot.jobs.values()].flat();
      slot.jobs.clear();
      verifyOnMain(held);
      if (closed || slot.retired) return;
      opts.onWorkerExit?.({ threadId: worker.threadId, reason: reason || `exit code ${code}`, retried: held.length });
      // A worker that dies at once (e.g. cannot load) is retried less and less often.
      const delay = Date.now() - slot.startedAt >= HEALTHY_MS ? 0 : restartMs;
      restartMs = delay === 0 ? MIN_RESTART_MS : Math.min(MAX_RESTART_MS, restartMs * 2);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!closed && running) spawnWorker();
      }, delay);
      timer.unref();
      restartTimers.add(timer);
    });
  };

  const post = (slot: Slot, triples: Triple[]): void => {
    let bytes = triples.length * 4;
    for (const t of triples) bytes += KEY_BYTES + SIGNATURE_BYTES + t.message.length;
    const data = new ArrayBuffer(bytes);
    const lengths = new Uint32Array(data, 0, triples.length);
    const out = new Uint8Array(data);
    let off = triples.length * 4;
    for (let i = 0; i < triples.length; i++) {
      const t = triples[i]!;
      lengths[i] = t.message.length;
      out.set(t.publicKey, off);
      out.set(t.signature, off + KEY_BYTES);
      out.set(t.message, off + KEY_BYTES + SIGNATURE_BYTES);
      off += KEY_BYTES + SIGNATURE_BYTES + t.message.length;
    }
    const job: VerifyJob = { id: nextId++, count: triples.length, data };
    if (slot.jobs.size === 0) slot.worker.ref();
    slot.jobs.set(job.id, triples);
    slot.load += triples.length;
    stats.jobs++;
    lastJobAt = Date.now();
    slot.worker.postMessage(job, [data]);
  };

  const flush = (): void => {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const ready = slots.filter((s) => s.ready);
    if (ready.length === 0) {
      if (!running && !closed && batch.length >= MIN_JOB) start();
      return verifyOnMain(batch);
    }
    // Least loaded workers first; one job per worker, split evenly, but no
    // job below MIN_JOB triples: each job costs a thread wake-up and two
    // messages, and the next turn's batch goes to the other threads anyway.
    const order = ready.sort((a, b) => a.load - b.load);
    const parts = Math.max(1, Math.min(order.length, Math.floor(batch.length / MIN_JOB)));
    const per = Math.ceil(batch.length / parts);
    for (let p = 0, start = 0; start < batch.length; p++, start += per) post(order[p]!, batch.slice(start, start + per));
  };

  const start = (): void => {
    running = true;
    stats.starts++;
    lastJobAt = Date.now();
    for (let i = 0; i < opts.workers; i++) spawnWorker();
  };

  /** After the last answer: stop the threads once `idleMs` pass without a new job. */
  const armIdle = (): void => {
    if (opts.idleMs === undefined || idleTimer !== undefined) return;
    const check = (): void => {
      idleTimer = undefined;
      if (closed || !running) return;
      // A job in flight re-arms the timer when it is answered.
      if (slots.some((s) => s.jobs.size > 0)) return;
      const wait = lastJobAt + opts.idleMs! - Date.now();
      if (wait > 0) {
        idleTimer = setTimeout(check, wait);
        idleTimer.unref();
        return;
      }
      running = false;
      stats.idleStops++;
      for (const t of restartTimers) clearTimeout(t);
      restartTimers.clear();
      for (const s of slots.splice(0)) {
        s.retired = true;
        void s.worker.terminate();
      }
    };
    idleTimer = setTimeout(check, opts.idleMs);
    idleTimer.unref();
  };

  if (opts.lazy !== true) start();

  return {
    verify(publicKey, message, signature) {
      // Wrong lengths never reach a worker (the job layout is fixed-size); the verdict is false.
      if (closed || publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) {
        return Promise.resolve(ed25519VerifyNode(publicKey, message, signature));
      }
      return new Promise<boolean>((resolve) => {
        queue.push({ publicKey, message, signature, resolve });
        if (!flushScheduled) {
          flushScheduled = true;
          // After the I/O phase: every request read in this turn joins the batch.
          setImmediate(flush);
        }
      });
    },
    get threads() {
      return slots.map((s) => s.worker);
    },
    get readyThreads() {
      return slots.filter((s) => s.ready).length;
    },
    stats,
    async close() {
      if (closed) return;
      closed = true;
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      for (const t of restartTimers) clearTimeout(t);
      restartTimers.clear();
      flush();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
