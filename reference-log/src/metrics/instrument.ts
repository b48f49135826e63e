/**
 * Adapters that feed the metrics from the log's parts without those parts
 * knowing about Prometheus: the sequencer is read at scrape time, storage
 * failures are counted by wrapping the storage object.
 */
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
