/**
 * The Prometheus metric set of the reference log, its secondary and the
 * reference witness. Names and labels are documented in docs/metrics.md; they
 * follow Prometheus naming conventions and log-go's metric set where the
 * meaning is the same.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram, type HistogramSeries } from './bucket-histogram.js';

/** Which server a registry belongs to; exported on every series as the `role` label. */
export type MetricsRole = 'primary' | 'secondary' | 'witness';

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /** Also export Node process/runtime metrics (`process_*`, `nodejs_*`). Default true. */
  defaultMetrics?: boolean;
  /** Clock in milliseconds since the epoch, used for ages computed at scrape time. Default `Date.now`. */
  now?: () => number;
}

/** Labels of the HTTP request metrics. `endpoint` is the route pattern, never the raw URL. */
export type HttpLabels = 'endpoint' | 'method' | 'status';
/** Labels of the witness add-checkpoint request counter. */
export type WitnessRequestLabels = 'witness' | 'status' | 'retried';

/**
 * Where scrape-time gauges read the log's state (e.g. the sequencer), so
 * that nobody has to push tree sizes: each scrape sees current values.
 */
export interface LogStateSource {
  /** Leaves in the integrated tree. */
  treeSize?: () => number;
  /** Leaves accepted but not yet integrated. */
  pendingLeaves?: () => number;
  /** The published tree head: size and the time it was published (ms since the epoch), if any. */
  published?: () => { size: number; publishedAtMs: number } | undefined;
  /**
   * Replication as this server sees it (primary: its secondary; secondary: its
   * primary), or `undefined` while unknown. Feeds the three replication gauges.
   */
  replication?: () => { lagLeaves: number; lagSeconds: number; reachable: boolean } | undefined;
  /**
   * add-leaf's signature-check threads (`verifyWorkers`), if the log has
   * them: threads started and ready, and checks made so far on the threads
   * and on the main thread. Feeds the two verify-pool metrics.
   */
  verifyPool?: () => { started: number; ready: number; onThreads: number; onMain: number };
}

/** The counts of one route and method (see {@link LogMetrics.route}). */
export interface RouteMetrics {
  /** Count one request received. */
  request(): void;
  /** Count one response sent with `status` and observe its duration. */
  response(status: number, seconds: number): void;
}

/** The registry plus typed handles for every metric the log servers update. */
export interface LogMetrics {
  /** The role given to {@link createMetrics}. */
  readonly role: MetricsRole;
  /** The Prometheus registry; serve `registry.metrics()` with `registry.contentType`. */
  readonly registry: Registry;
  /** `sigsum_http_requests_total{endpoint,method}`: requests received. */
  readonly httpRequests: Counter<'endpoint' | 'method'>;
  /** `sigsum_http_responses_total{endpoint,method,status}`: responses sent. */
  readonly httpResponses: Counter<HttpLabels>;
  /** `sigsum_http_request_duration_seconds{endpoint,method,status}`: request-to-response latency (observed on every answer, so not prom-client's `Histogram`). */
  readonly httpDuration: BucketHistogram<HttpLabels>;
  /**
   * Count one HTTP request in `sigsum_http_requests_total`. Called on every
   * request: the count is a plain number per label set, added to the counter
   * when it is scraped (prom-client checks and hashes the labels on every
   * call of its own, which cost more than a get-tree-head answer's own work).
   */
  countRequest(endpoint: string, method: string): void;
  /**
   * Count one HTTP response in `sigsum_http_responses_total` (as
   * {@link LogMetrics.countRequest} does) and observe its duration, when
   * known, in `sigsum_http_request_duration_seconds`.
   */
  countResponse(endpoint: string, method: string, status: string, seconds: number | undefined): void;
  /**
   * The counts of one route and method, found once: {@link LogMetrics.countRequest}
   * and {@link LogMetrics.countResponse} without their per-call look-ups, for
   * a path that answers that route many times a second (the front door).
   */
  route(endpoint: string, method: string): RouteMetrics;
  /** `sigsum_log_storage_errors_total{operation}`: failed storage operations. */
  readonly storageErrors: Counter<'operation'>;
  /** `sigsum_log_tree_size`: size of the integrated (sequenced) tree. */
  readonly treeSize: Gauge;
  /** `sigsum_log_pending_leaves`: leaves accepted but not yet sequenced. */
  readonly pendingLeaves: Gauge;
  /** `sigsum_log_published_tree_size`: size of the published (cosigned) tree head. */
  readonly publishedTreeSize: Gauge;
  /** `sigsum_log_published_tree_timestamp_seconds`: timestamp of the published tree head, 0 while none. */
  readonly publishedTreeTimestamp: Gauge;
  /** `sigsum_log_witness_checkpoint_requests_total{witness,status,retried}`. */
  readonly witnessRequests: Counter<WitnessRequestLabels>;
  /** `sigsum_log_witness_checkpoint_request_duration_seconds{witness}`: successful requests only. */
  readonly witnessDuration: Histogram<'witness'>;
  /** `sigsum_log_witness_quorum_total{status}`: cosigning rounds by outcome (`true`/`false`). */
  readonly quorumTotal: Counter<'status'>;
  /** `sigsum_log_witness_quorum_reached`: 1/0 for the last cosigning round, NaN before the first (set through {@link LogMetrics.observeQuorum}). */
  readonly quorumReached: Gauge;
  /** `sigsum_log_witness_quorum_duration_seconds`: time to reach quorum (successful rounds only). */
  readonly quorumDuration: Histogram;
  /** `sigsum_log_replication_lag_leaves`: leaves the secondary is behind the primary. */
  readonly replicationLagLeaves: Gauge;
  /** `sigsum_log_replication_lag_seconds`: age of the oldest leaf the secondary does not have yet (0 when in sync). */
  readonly replicationLagSeconds: Gauge;
  /** `sigsum_log_secondary_reachable` (primary) / peer reachable (secondary): 1 or 0. */
  readonly secondaryReachable: Gauge;
  /** `sigsum_log_rate_limit_decisions_total{decision,rule}`. */
  readonly rateLimitDecisions: Counter<'decision' | 'rule'>;
  /** `sigsum_log_signer_errors_total`: signatures the key (file, agent or PKCS#11 token) failed to make. */
  readonly signerErrors: Counter;
  /** `sigsum_log_signer_up`: 1 when the last signature succeeded, 0 when it failed, NaN before the first. */
  readonly signerUp: Gauge;
  /** `sigsum_log_verify_threads{state}`: add-leaf's signature-check threads, `started` and `ready` (primary; read at scrape time). */
  readonly verifyThreads: Gauge<'state'>;
  /** `sigsum_log_verify_pool_checks_total{on}`: signature checks of the thread pool, `on` a thread or the `main` thread (primary; read at scrape time). */
  readonly verifyPoolChecks: Counter<'on'>;
  /**
   * Read tree size, pending leaves, the published head, replication state
   * and the verify pool from `source` at every scrape (overriding values set
   * on those gauges by hand). Later calls add to or replace earlier
   * providers field by field.
   */
  observeLogState(source: LogStateSource): void;
  /** Record the published tree head (size and timestamp in seconds); its age is computed at scrape time. */
  setPublishedTreeHead(size: number | bigint, timestampSeconds: number | bigint): void;
  /** Record a witness add-checkpoint request (status is the HTTP status or `other`). */
  observeWitnessRequest(witnessUrl: string, status: number | 'other', retried: boolean, seconds?: number): void;
  /** Record a cosigning round. */
  observeQuorum(reached: boolean, seconds?: number): void;
}

const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WITNESS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Requests received for one label set, not yet added to the counter. */
interface RequestTally {
  labels: { endpoint: string; method: string };
  count: number;
}

/** Responses sent for one label set, not yet added to the counter, and that set's duration histogram. */
interface ResponseTally {
  labels: Record<HttpLabels, string>;
  count: number;
  duration: HistogramSeries;
}

/** Add each tally's count to `counter` under its labels and start it again from 0 (at scrape time). */
function addTallies<L extends string>(counter: Counter<L>, tallies: Iterable<{ labels: Record<L, string>; count: number }>): void {
  for (const t of tallies) {
    if (t.count > 0) counter.inc(t.labels, t.count);
    t.count = 0;
  }
}

/** Roles that hold a tree (and so export tree and storage gauges). */
function isLog(role: MetricsRole): boolean {
  return role === 'primary' || role === 'secondary';
}

/** The witness label: the URL without its scheme, as log-go does (bounded: one per configured witness). */
export function witnessLabel(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

/**
 * Create the registry and handles of one server. All handles always exist so
 * callers need no role checks; those that do not apply to the role are simply
 * not registered (updates to them are never exported).
 */
export function createMetrics(role: MetricsRole, options: CreateMetricsOptions = {}): LogMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  const now = options.now ?? Date.now;
  const all = [registry];
  const logOnly = isLog(role) ? [registry] : [];
  const primaryOnly = role === 'primary' ? [registry] : [];
  let source: LogStateSource = {};
  let publishedTimestamp: number | undefined;
  const refreshPublished = (): void => {
    const head = source.published?.();
    if (head !== undefined) publishedTimestamp = head.publishedAtMs / 1000;
  };

  // Per label set (bounded: route patterns × methods × statuses): counts not yet added to the counters.
  const requestTallies = new Map<string, RequestTally>();
  const responseTallies = new Map<string, ResponseTally>();
  const requestTally = (endpoint: string, method: string): RequestTally => {
    const key = endpoint + ' ' + method;
    let t = requestTallies.get(key);
    if (t === undefined) {
      t = { labels: { endpoint, method }, count: 0 };
      requestTallies.set(key, t);
    }
    return t;
  };
  const httpRequests = new Counter({
    name: 'sigsum_http_requests_total',
    help: 'HTTP requests received, by route pattern and method.',
    labelNames: ['endpoint', 'method'] as const,
    registers: all,
    collect() {
      addTallies(this, requestTallies.values());
    },
  });
  const httpResponses = new Counter({
    name: 'sigsum_http_responses_total',
    help: 'HTTP responses sent, by route pattern, method and status code.',
    labelNames: ['endpoint', 'method', 'status'] as const,
    registers: all,
    collect() {
      addTallies(this, responseTallies.values());
    },
  });
  const httpDuration = new BucketHistogram({
    name: 'sigsum_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending its response, in seconds.',
    labelNames: ['endpoint', 'method', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: all,
  });
  const responseTally = (endpoint: string, method: string, status: string): ResponseTally => {
    const key = endpoint + ' ' + method + ' ' + status;
    let t = responseTallies.get(key);
    if (t === undefined) {
      const labels = { endpoint, method, status };
      t = { labels, count: 0, duration: httpDuration.labels(labels) };
      responseTallies.set(key, t);
    }
    return t;
  };
  const storageErrors = new Counter({
    name: 'sigsum_log_storage_errors_total',
    help: 'Storage operations that failed, by operation.',
    labelNames: ['operation'] as const,
    registers: logOnly,
  });
  const treeSize = new Gauge({
    name: 'sigsum_log_tree_size',
    help: 'Number of leaves in the integrated (sequenced) tree.',
    registers: logOnly,
    collect() {
      if (source.treeSize !== undefined) this.set(source.treeSize());
    },
  });
  const pendingLeaves = new Gauge({
    name: 'sigsum_log_pending_leaves',
    help: 'Leaves accepted by add-leaf but not yet sequenced.',
    registers: primaryOnly,
    collect() {
      if (source.pendingLeaves !== undefined) this.set(source.pendingLeaves());
    },
  });
  const publishedTreeSize = new Gauge({
    name: 'sigsum_log_published_tree_size',
    help: 'Size of the published cosigned tree head.',
    registers: primaryOnly,
    collect() {
      const head = source.published?.();
      if (head !== undefined) this.set(head.size);
    },
  });
  const publishedTreeTimestamp = new Gauge({
    name: 'sigsum_log_published_tree_timestamp_seconds',
    help: 'When the published cosigned tree head was published (Unix seconds); 0 while none is published.',
    registers: primaryOnly,
    collect() {
      refreshPublished();
      if (publishedTimestamp !== undefined) this.set(publishedTimestamp);
    },
  });
  new Gauge({
    name: 'sigsum_log_published_tree_age_seconds',
    help: 'Seconds since the published tree head was published, computed at scrape time; NaN while none is published.',
    registers: primaryOnly,
    collect() {
      refreshPublished();
      this.set(publishedTimestamp === undefined ? Number.NaN : Math.max(0, now() / 1000 - publishedTimestamp));
    },
  });
  const witnessRequests = new Counter({
    name: 'sigsum_log_witness_checkpoint_requests_total',
    help: 'Witness add-checkpoint requests by witness, status (HTTP code or "other") and whether a 409 retry happened.',
    labelNames: ['witness', 'status', 'retried'] as const,
    registers: primaryOnly,
  });
  const witnessDuration = new Histogram({
    name: 'sigsum_log_witness_checkpoint_request_duration_seconds',
    help: 'End-to-end latency of successful witness add-checkpoint requests (including a 409 retry), in seconds.',
    labelNames: ['witness'] as const,
    buckets: WITNESS_BUCKETS,
    registers: primaryOnly,
  });
  const quorumTotal = new Counter({
    name: 'sigsum_log_witness_quorum_total',
    help: 'Cosigning rounds by whether the witness quorum was reached ("true"/"false").',
    labelNames: ['status'] as const,
    registers: primaryOnly,
  });
  let lastQuorum: boolean | undefined;
  const quorumReached = new Gauge({
    name: 'sigsum_log_witness_quorum_reached',
    help: '1 if the most recent cosigning round reached the witness quorum, 0 if not, NaN before the first round (and for logs without witnesses).',
    registers: primaryOnly,
    collect() {
      this.set(lastQuorum === undefined ? Number.NaN : lastQuorum ? 1 : 0);
    },
  });
  const quorumDuration = new Histogram({
    name: 'sigsum_log_witness_quorum_duration_seconds',
    help: 'Time needed to reach the witness quorum, in seconds (successful rounds only).',
    buckets: WITNESS_BUCKETS,
    registers: primaryOnly,
  });
  const replicationLagLeaves = new Gauge({
    name: 'sigsum_log_replication_lag_leaves',
    help: 'Leaves that the secondary is behind the primary.',
    registers: logOnly,
    collect() {
      const r = source.replication?.();
      if (r !== undefined) this.set(r.lagLeaves);
    },
  });
  const replicationLagSeconds = new Gauge({
    name: 'sigsum_log_replication_lag_seconds',
    help: 'Age in seconds of the oldest leaf the secondary does not have (0 when in sync).',
    registers: logOnly,
    collect() {
      const r = source.replication?.();
      if (r !== undefined) this.set(r.lagSeconds);
    },
  });
  const secondaryReachable = new Gauge({
    name: 'sigsum_log_secondary_reachable',
    help: 'On the primary: 1 if the secondary answered the last poll. On the secondary: 1 if the primary did.',
    registers: logOnly,
    collect() {
      const r = source.replication?.();
      if (r !== undefined) this.set(r.reachable ? 1 : 0);
    },
  });
  const rateLimitDecisions = new Counter({
    name: 'sigsum_log_rate_limit_decisions_total',
    help: 'add-leaf rate-limit decisions by outcome and deciding rule.',
    labelNames: ['decision', 'rule'] as const,
    registers: primaryOnly,
  });

  // Every server signs on the critical path: the primary's tree heads, the secondary's heads that gate
  // them, the witness's cosignatures.
  const signing = [registry];
  const signerErrors = new Counter({
    name: 'sigsum_log_signer_errors_total',
    help: 'Signatures the signing key (file, ssh-agent or PKCS#11 token) failed to make or that did not verify.',
    registers: signing,
  });
  const signerUp = new Gauge({
    name: 'sigsum_log_signer_up',
    help: '1 when the last signature succeeded, 0 when it failed (token gone or erroring).',
    registers: signing,
  });
  signerUp.set(Number.NaN);

  const verifyThreads = new Gauge({
    name: 'sigsum_log_verify_threads',
    help: "add-leaf's signature-check threads (verifyWorkers): started, and ready to take checks.",
    labelNames: ['state'] as const,
    registers: primaryOnly,
    collect() {
      const pool = source.verifyPool?.();
      if (pool === undefined) return;
      this.set({ state: 'started' }, pool.started);
      this.set({ state: 'ready' }, pool.ready);
    },
  });
  const verifyPoolChecks = new Counter({
    name: 'sigsum_log_verify_pool_checks_total',
    help: 'Signature checks of the add-leaf thread pool, by where they ran: on a thread, or on the main thread (no thread ready yet, or a thread stopped holding them).',
    labelNames: ['on'] as const,
    registers: primaryOnly,
    collect() {
      const pool = source.verifyPool?.();
      if (pool === undefined) return;
      // The pool keeps the running totals; the counter shows them as they are.
      this.reset();
      this.inc({ on: 'thread' }, pool.onThreads);
      this.inc({ on: 'main' }, pool.onMain);
    },
  });

  // Unknown until replication reports: NaN, so "unreachable" (== 0) alerts stay silent on a log without a secondary.
  for (const g of [replicationLagLeaves, replicationLagSeconds, secondaryReachable]) g.set(Number.NaN);

  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    role,
    registry,
    httpRequests,
    httpResponses,
    httpDuration,
    countRequest(endpoint, method) {
      requestTally(endpoint, method).count++;
    },
    countResponse(endpoint, method, status, seconds) {
      const t = responseTally(endpoint, method, status);
      t.count++;
      if (seconds !== undefined) t.duration.observe(seconds);
    },
    route(endpoint, method) {
      const requests = requestTally(endpoint, method);
      const byStatus = new Map<number, ResponseTally>();
      return {
        request() {
          requests.count++;
        },
        response(status, seconds) {
          let t = byStatus.get(status);
          if (t === undefined) {
            t = responseTally(endpoint, method, String(status));
            byStatus.set(status, t);
          }
          t.count++;
          t.duration.observe(seconds);
        },
      };
    },
    storageErrors,
    treeSize,
    pendingLeaves,
    publishedTreeSize,
    publishedTreeTimestamp,
    witnessRequests,
    witnessDuration,
    quorumTotal,
    quorumReached,
    quorumDuration,
    replicationLagLeaves,
    replicationLagSeconds,
    secondaryReachable,
    rateLimitDecisions,
    signerErrors,
    signerUp,
    verifyThreads,
    verifyPoolChecks,
    observeLogState(s) {
      source = { ...source, ...s };
    },
    setPublishedTreeHead(size, timestampSeconds) {
      publishedTimestamp = Number(timestampSeconds);
      publishedTreeSize.set(Number(size));
      publishedTreeTimestamp.set(publishedTimestamp);
    },
    observeWitnessRequest(witnessUrl, status, retried, seconds) {
      const witness = witnessLabel(witnessUrl);
      witnessRequests.inc({ witness, status: String(status), retried: String(retried) });
      if (status === 200 && seconds !== undefined) witnessDuration.observe({ witness }, seconds);
    },
    observeQuorum(reached, seconds) {
      quorumTotal.inc({ status: String(reached) });
      lastQuorum = reached;
      if (reached && seconds !== undefined) quorumDuration.observe(seconds);
    },
  };
}
