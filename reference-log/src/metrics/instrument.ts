/**
 * Adapters that feed the metrics from the log's parts without those parts
 * knowing about Prometheus: the sequencer and the verify pool are read at scrape time, storage
 * and signer failures are counted by wrapping the storage and signer objects.
 */
import type { Signer } from '@sigsum-kit/sdk';
import type { LogMetrics } from './registry.js';

/** What {@link observeSequencer} reads (a subset of the reference log's `Sequencer`). */
export interface SequencerState {
  /** Leaves in the integrated tree. */
  readonly treeSize: number;
  /** Leaves waiting to be integrated. */
  readonly pendingCount: number;
  /** The published head: its size and when it was published (ms since the epoch). */
  readonly published: { readonly size: number; readonly publishedAt: number } | undefined;
}

/** Export the sequencer's tree size, pending leaves and published head on every scrape. */
export function observeSequencer(metrics: LogMetrics, sequencer: SequencerState): void {
  metrics.observeLogState({
    treeSize: () => sequencer.treeSize,
    pendingLeaves: () => sequencer.pendingCount,
    published: () => {
      const head = sequencer.published;
      return head === undefined ? undefined : { size: head.size, publishedAtMs: head.publishedAt };
    },
  });
}

/** What {@link observeVerifyPool} reads (a subset of the reference log's `VerifyPool`). */
export interface VerifyPoolState {
  readonly threads: readonly unknown[];
  readonly readyThreads: number;
  readonly stats: { readonly triples: number; readonly mainThread: number };
}

/** Export add-leaf's signature-check threads and where their checks ran on every scrape. */
export function observeVerifyPool(metrics: LogMetrics, pool: VerifyPoolState): void {
  metrics.observeLogState({
    verifyPool: () => ({ started: pool.threads.length, ready: pool.readyThreads, onThreads: pool.stats.triples, onMain: pool.stats.mainThread }),
  });
}

/**
 * Wrap a storage object so that every method that throws increments
 * `sigsum_log_storage_errors_total{operation=<method>}` (then rethrows).
 * Methods returning promises are counted when they reject. The label set is
 * bounded by the object's method names.
 */
export function instrumentStorage<T extends object>(storage: T, metrics: Pick<LogMetrics, 'storageErrors'>): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(storage, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn = function (this: unknown, ...args: unknown[]): unknown {
          try {
            const result = method.apply(this === receiver ? target : this, args);
            if (result instanceof Promise) {
              return result.catch((err: unknown) => {
                metrics.storageErrors.inc({ operation: prop });
                throw err;
              });
            }
            return result;
          } catch (err) {
            metrics.storageErrors.inc({ operation: prop });
            throw err;
          }
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

/** What the replication module reports (see {@link observeReplication}). */
export interface ReplicationState {
  /** Leaves the secondary is behind the primary. */
  lagLeaves: number;
  /** Seconds the secondary has been behind (0 when in sync). */
  lagSeconds: number;
  /** Whether the peer answered the last poll. */
  reachable: boolean;
}

/**
 * Export replication state on every scrape: `sigsum_log_replication_lag_leaves`,
 * `sigsum_log_replication_lag_seconds`, `sigsum_log_secondary_reachable`.
 * `read` returns `undefined` while nothing is known yet (the gauges then keep their last value, initially 0).
 */
export function observeReplication(metrics: LogMetrics, read: () => ReplicationState | undefined): void {
  metrics.observeLogState({ replication: read });
}

/** Most size observations {@link replicationLag} keeps. */
const MAX_LAG_HISTORY = 40_320;

/** Options of {@link replicationLag}. */
export interface ReplicationLagOptions {
  /** This log's integrated tree size (primary: its own; secondary: the primary's last known size). */
  localSize: () => number;
  /** The replica's size (primary: the secondary's verified size), `undefined` before its first answer. */
  peerSize: () => number | undefined;
  /** Whether the last exchange with the peer succeeded (true before the first one). */
  reachable: () => boolean;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Derive {@link ReplicationState} for {@link observeReplication} from two
 * sizes. Lag in seconds is the age of the oldest leaf the replica lacks:
 * the time since the local tree first grew past the replica's size, as seen
 * at the moments this function is called (every scrape), so it can
 * underestimate by one scrape interval but never grows while the replica
 * keeps up with a busy log.
 */
export function replicationLag(opts: ReplicationLagOptions): () => ReplicationState | undefined {
  const now = opts.now ?? Date.now;
  // (size, first time seen) for each increase of the local size, oldest first.
  const history: { size: number; at: number }[] = [];
  return () => {
    const t = now();
    const local = opts.localSize();
    const last = history[history.length - 1];
    if (last === undefined || local > last.size) history.push({ size: local, at: t });
    // Bounded even if the replica never answers (a week of 15 s scrapes); dropping the oldest only lowers the estimate.
    if (history.length > MAX_LAG_HISTORY) history.shift();
    const peer = opts.peerSize();
    if (peer === undefined) {
      // Never answered: unknown until the first exchange, unreachable once one has failed.
      return opts.reachable() ? undefined : { lagLeaves: Number.NaN, lagSeconds: Number.NaN, reachable: false };
    }
    // Forget sizes the replica has reached, keeping the newest such one as a reference point.
    while (history.length > 1 && history[1]!.size <= peer) history.shift();
    const oldestMissing = history.find((h) => h.size > peer);
    return {
      lagLeaves: Math.max(0, local - peer),
      lagSeconds: oldestMissing === undefined ? 0 : (t - oldestMissing.at) / 1000,
      reachable: opts.reachable(),
    };
  };
}

/**
 * Count a signer's failures (`sigsum_log_signer_errors_total`) and report
 * whether its last signature succeeded (`sigsum_log_signer_up`). The signer
 * was opened (and, for a token, self-tested) before this is called, so it
 * starts as up.
 */
export function instrumentSigner(signer: Signer, metrics: Pick<LogMetrics, 'signerErrors' | 'signerUp'>): Signer {
  metrics.signerUp.set(1);
  return {
    publicKey: signer.publicKey,
    async sign(message: Uint8Array): Promise<Uint8Array> {
      try {
        const signature = await signer.sign(message);
        metrics.signerUp.set(1);
        return signature;
      } catch (err) {
        metrics.signerErrors.inc();
        metrics.signerUp.set(0);
        throw err;
      }
    },
  };
}
