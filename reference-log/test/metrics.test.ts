import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sample } from './prometheus-text.js';
import {
  UNMATCHED_ENDPOINT,
  createMetrics,
  instrumentSigner,
  instrumentStorage,
  metricsPlugin,
  observeReplication,
  observeSequencer,
  replicationLag,
  witnessLabel,
  type LogMetrics,
  type ReplicationState,
} from '../src/metrics/index.js';

const names = (text: string): Set<string> => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** A public app (HTTP metrics only) and an internal app serving /metrics, both on real 127.0.0.1 ports. */
async function startServers(metrics: LogMetrics): Promise<{ pub: string; internal: string }> {
  const pub = Fastify();
  await pub.register(metricsPlugin, { metrics, serve: false });
  // Routes registered in an encapsulated child plugin (as a server module would) are recorded too.
  await pub.register(async (child) => {
    child.get('/get-leaves/:start/:end', async (req) => (req.params as { start: string }).start);
    child.post('/add-leaf', async (_req, reply) => reply.code(202).send(''));
    child.get('/boom', async () => {
      throw new Error('boom');
    });
  });
  const internal = Fastify();
  await internal.register(metricsPlugin, { metrics });
  apps.push(pub, internal);
  return {
    pub: await pub.listen({ host: '127.0.0.1', port: 0 }),
    internal: await internal.listen({ host: '127.0.0.1', port: 0 }),
  };
}

describe('createMetrics', () => {
  it('registers the role-specific metric set with a role label', async () => {
    const primary = await createMetrics('primary', { defaultMetrics: false }).registry.metrics();
    const secondary = await createMetrics('secondary', { defaultMetrics: false }).registry.metrics();
    const witness = await createMetrics('witness', { defaultMetrics: false }).registry.metrics();
    const common = ['sigsum_http_requests_total', 'sigsum_http_responses_total', 'sigsum_http_request_duration_seconds'];
    const logs = ['sigsum_log_tree_size', 'sigsum_log_storage_errors_total', 'sigsum_log_replication_lag_leaves', 'sigsum_log_replication_lag_seconds', 'sigsum_log_secondary_reachable'];
    const primaryOnly = [
      'sigsum_log_pending_leaves',
      'sigsum_log_published_tree_size',
      'sigsum_log_published_tree_timestamp_seconds',
      'sigsum_log_published_tree_age_seconds',
      'sigsum_log_witness_checkpoint_requests_total',
      'sigsum_log_witness_checkpoint_request_duration_seconds',
      'sigsum_log_witness_quorum_total',
      'sigsum_log_witness_quorum_reached',
      'sigsum_log_witness_quorum_duration_seconds',
      'sigsum_log_rate_limit_decisions_total',
      'sigsum_log_verify_threads',
      'sigsum_log_verify_pool_checks_total',
    ];
    const signing = ['sigsum_log_signer_up', 'sigsum_log_signer_errors_total'];
    expect(names(primary)).toEqual(new Set([...common, ...logs, ...primaryOnly, ...signing]));
    expect(names(secondary)).toEqual(new Set([...common, ...logs, ...signing]));
    expect(names(witness)).toEqual(new Set([...common, ...signing]));
    expect(sample(primary, 'sigsum_log_tree_size', { role: 'primary' })).toBe(0);
    expect(sample(secondary, 'sigsum_log_tree_size', { role: 'secondary' })).toBe(0);
  });

  it('counts signer failures and reports whether the last signature succeeded', async () => {
    const m = createMetrics('witness', { defaultMetrics: false });
    expect(sample(await m.registry.metrics(), 'sigsum_log_signer_up')).toBeNaN();
    let fail = false;
    const signer = instrumentSigner({ publicKey: new Uint8Array(32), sign: async (msg) => (fail ? Promise.reject(new Error('token gone')) : msg) }, m);
    expect(sample(await m.registry.metrics(), 'sigsum_log_signer_up')).toBe(1);
    fail = true;
    await expect(signer.sign(Uint8Array.of(1))).rejects.toThrow('token gone');
    let text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_signer_up')).toBe(0);
    expect(sample(text, 'sigsum_log_signer_errors_total')).toBe(1);
    fail = false;
    expect(await signer.sign(Uint8Array.of(2))).toEqual(Uint8Array.of(2));
    text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_signer_up')).toBe(1);
    expect(sample(text, 'sigsum_log_signer_errors_total')).toBe(1);
  });

  it('adds the HTTP request and response tallies to the counters at each scrape, each count once', async () => {
    const m = createMetrics('primary', { defaultMetrics: false });
    const get = { endpoint: '/get-tree-head', method: 'GET' };
    const ok = { ...get, status: '200' };
    for (let i = 0; i < 3; i++) m.countRequest(get.endpoint, get.method);
    m.countResponse(ok.endpoint, ok.method, ok.status, 0.002);
    m.countResponse(ok.endpoint, ok.method, ok.status, undefined);
    m.countResponse(ok.endpoint, ok.method, '503', 0.0001);
    let text = await m.registry.metrics();
    expect(sample(text, 'sigsum_http_requests_total', get)).toBe(3);
    expect(sample(text, 'sigsum_http_responses_total', ok)).toBe(2);
    expect(sample(text, 'sigsum_http_responses_total', { ...get, status: '503' })).toBe(1);
    // Durations only where known: one of the two 200s.
    expect(sample(text, 'sigsum_http_request_duration_seconds_count', ok)).toBe(1);
    expect(sample(text, 'sigsum_http_request_duration_seconds_bucket', { ...ok, le: '0.001' })).toBe(0);
    expect(sample(text, 'sigsum_http_request_duration_seconds_bucket', { ...ok, le: '0.005' })).toBe(1);
    // A second scrape adds nothing that was already added; later requests add up.
    text = await m.registry.metrics();
    expect(sample(text, 'sigsum_http_requests_total', get)).toBe(3);
    m.countRequest(get.endpoint, get.method);
    expect(sample(await m.registry.metrics(), 'sigsum_http_requests_total', get)).toBe(4);
    expect(sample(await m.registry.metrics(), 'sigsum_http_responses_total', ok)).toBe(2);
  });

  it('includes Node process metrics by default', async () => {
    const text = await createMetrics('witness').registry.metrics();
    expect(sample(text, 'process_resident_memory_bytes', { role: 'witness' })).toBeGreaterThan(0);
  });

  it('computes the published tree head age at scrape time; NaN until one is published', async () => {
    let now = 1_700_000_000_000;
    const m = createMetrics('primary', { defaultMetrics: false, now: () => now });
    let text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBeNaN();
    expect(sample(text, 'sigsum_log_published_tree_timestamp_seconds')).toBe(0);
    m.setPublishedTreeHead(42n, 1_699_999_990n);
    text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBe(10);
    expect(sample(text, 'sigsum_log_published_tree_size')).toBe(42);
    expect(sample(text, 'sigsum_log_published_tree_timestamp_seconds')).toBe(1_699_999_990);
    now += 25_000;
    expect(sample(await m.registry.metrics(), 'sigsum_log_published_tree_age_seconds')).toBe(35);
  });

  it('reads the sequencer at scrape time', async () => {
    const m = createMetrics('primary', { defaultMetrics: false, now: () => 1_700_000_030_000 });
    const seq = { treeSize: 5, pendingCount: 2, published: undefined as { size: number; publishedAt: number } | undefined };
    observeSequencer(m, seq);
    let text = await m.registry.metrics();
    expect([sample(text, 'sigsum_log_tree_size'), sample(text, 'sigsum_log_pending_leaves')]).toEqual([5, 2]);
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBeNaN();
    seq.treeSize = 7;
    seq.pendingCount = 0;
    seq.published = { size: 7, publishedAt: 1_700_000_000_000 };
    text = await m.registry.metrics();
    expect([sample(text, 'sigsum_log_tree_size'), sample(text, 'sigsum_log_pending_leaves')]).toEqual([7, 0]);
    expect(sample(text, 'sigsum_log_published_tree_size')).toBe(7);
    expect(sample(text, 'sigsum_log_published_tree_timestamp_seconds')).toBe(1_700_000_000);
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBe(30);
  });

  it('reads replication state at scrape time, alongside the sequencer', async () => {
    const m = createMetrics('secondary', { defaultMetrics: false });
    let state: ReplicationState | undefined;
    observeSequencer(m, { treeSize: 4, pendingCount: 0, published: undefined });
    observeReplication(m, () => state);
    let text = await m.registry.metrics();
    // Unknown (no secondary, or not polled yet) is NaN, not 0: alerts on "== 0" stay silent.
    expect(sample(text, 'sigsum_log_secondary_reachable')).toBeNaN();
    expect(sample(text, 'sigsum_log_replication_lag_leaves')).toBeNaN();
    state = { lagLeaves: 12, lagSeconds: 3.5, reachable: true };
    text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_replication_lag_leaves', { role: 'secondary' })).toBe(12);
    expect(sample(text, 'sigsum_log_replication_lag_seconds')).toBe(3.5);
    expect(sample(text, 'sigsum_log_secondary_reachable')).toBe(1);
    expect(sample(text, 'sigsum_log_tree_size')).toBe(4); // the sequencer provider is still in place
    state = { lagLeaves: 12, lagSeconds: 9, reachable: false };
    expect(sample(await m.registry.metrics(), 'sigsum_log_secondary_reachable')).toBe(0);
  });

  it('derives replication lag from sizes: leaves behind and age of the oldest missing leaf', () => {
    let t = 0;
    let local = 10;
    let peer: number | undefined;
    let ok = true;
    const lag = replicationLag({ localSize: () => local, peerSize: () => peer, reachable: () => ok, now: () => t });
    expect(lag()).toBeUndefined(); // nothing known about the replica yet
    ok = false; // the first exchange failed: unreachable, lag unknown
    expect(lag()).toEqual({ lagLeaves: Number.NaN, lagSeconds: Number.NaN, reachable: false });
    ok = true;
    peer = 10;
    expect(lag()).toEqual({ lagLeaves: 0, lagSeconds: 0, reachable: true });
    t = 5_000;
    local = 15; // leaves 10..14 appear at t = 5 s
    expect(lag()).toEqual({ lagLeaves: 5, lagSeconds: 0, reachable: true });
    t = 20_000;
    local = 20;
    ok = false;
    expect(lag()).toEqual({ lagLeaves: 10, lagSeconds: 15, reachable: false });
    // The replica catches up to 15: the oldest missing leaf is now one first seen at t = 20 s.
    t = 30_000;
    peer = 15;
    ok = true;
    expect(lag()).toEqual({ lagLeaves: 5, lagSeconds: 10, reachable: true });
    // A busy log whose replica keeps up stays at a small lag instead of growing.
    for (let i = 0; i < 10; i++) {
      t += 15_000;
      peer = local;
      local += 3;
      expect(lag()!.lagSeconds).toBe(0);
    }
    t += 15_000;
    expect(lag()).toEqual({ lagLeaves: 3, lagSeconds: 15, reachable: true });
  });

  it('counts storage failures per operation and passes results and errors through', async () => {
    const m = createMetrics('secondary', { defaultMetrics: false });
    class Store {
      #rows = [1, 2, 3];
      treeSize(): number {
        return this.#rows.length;
      }
      getNode(): Uint8Array {
        throw new Error('missing node');
      }
      async flush(): Promise<void> {
        throw new Error('disk full');
      }
    }
    const store = instrumentStorage(new Store(), m);
    expect(store.treeSize()).toBe(3); // private fields still work through the wrapper
    expect(() => store.getNode()).toThrow('missing node');
    expect(() => store.getNode()).toThrow('missing node');
    await expect(store.flush()).rejects.toThrow('disk full');
    const text = await m.registry.metrics();
    expect(sample(text, 'sigsum_log_storage_errors_total', { operation: 'getNode', role: 'secondary' })).toBe(2);
    expect(sample(text, 'sigsum_log_storage_errors_total', { operation: 'flush' })).toBe(1);
    expect(sample(text, 'sigsum_log_storage_errors_total', { operation: 'treeSize' })).toBeUndefined();
  });

  it('records witness requests by witness (without scheme), status and retry; latency of successes only', async () => {
    const m = createMetrics('primary', { defaultMetrics: false });
    m.observeWitnessRequest('https://witness.example.org/w1', 200, false, 0.2);
    m.observeWitnessRequest('https://witness.example.org/w1', 200, true, 0.4);
    m.observeWitnessRequest('http://127.0.0.1:9000', 'other', false, 3);
    m.observeWitnessRequest('http://127.0.0.1:9000', 422, false, 0.1);
    m.observeQuorum(true, 0.5);
    m.observeQuorum(false);
    const text = await m.registry.metrics();
    const req = 'sigsum_log_witness_checkpoint_requests_total';
    expect(sample(await createMetrics('primary', { defaultMetrics: false }).registry.metrics(), 'sigsum_log_witness_quorum_reached')).toBeNaN();
    expect(sample(text, req, { witness: 'witness.example.org/w1', status: '200', retried: 'false' })).toBe(1);
    expect(sample(text, req, { witness: 'witness.example.org/w1', status: '200', retried: 'true' })).toBe(1);
    expect(sample(text, req, { witness: '127.0.0.1:9000', status: 'other', retried: 'false' })).toBe(1);
    expect(sample(text, req, { witness: '127.0.0.1:9000', status: '422', retried: 'false' })).toBe(1);
    const lat = 'sigsum_log_witness_checkpoint_request_duration_seconds_count';
    expect(sample(text, lat, { witness: 'witness.example.org/w1' })).toBe(2);
    expect(sample(text, lat, { witness: '127.0.0.1:9000' })).toBeUndefined();
    expect(sample(text, 'sigsum_log_witness_quorum_total', { status: 'true' })).toBe(1);
    expect(sample(text, 'sigsum_log_witness_quorum_total', { status: 'false' })).toBe(1);
    expect(sample(text, 'sigsum_log_witness_quorum_reached')).toBe(0);
    expect(sample(text, 'sigsum_log_witness_quorum_duration_seconds_count')).toBe(1);
    expect(witnessLabel('https://a.example/x')).toBe('a.example/x');
  });
});

describe('metricsPlugin over real HTTP', () => {
  it('labels requests by route pattern, method and status and serves them on the internal listener', async () => {
    const m = createMetrics('primary', { defaultMetrics: false });
    const { pub, internal } = await startServers(m);
    for (const path of ['/get-leaves/0/1', '/get-leaves/5/9', '/nope/1', '/nope/2']) await (await fetch(pub + path)).text();
    await (await fetch(`${pub}/add-leaf`, { method: 'POST', body: 'x' })).text();
    await (await fetch(`${pub}/boom`)).text();
    await (await fetch(`${pub}/get-leaves/0/1`, { method: 'PROPFIND' })).text();
    expect((await fetch(`${pub}/metrics`)).status).toBe(404);

    const res = await fetch(`${internal}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const leaves = { endpoint: '/get-leaves/:start/:end', method: 'GET' };
    expect(sample(text, 'sigsum_http_requests_total', { ...leaves, role: 'primary' })).toBe(2);
    expect(sample(text, 'sigsum_http_responses_total', { ...leaves, status: '200' })).toBe(2);
    expect(sample(text, 'sigsum_http_request_duration_seconds_count', { ...leaves, status: '200' })).toBe(2);
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: '/add-leaf', method: 'POST', status: '202' })).toBe(1);
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: '/boom', method: 'GET', status: '500' })).toBe(1);
    // Unknown paths share one label value, and unknown methods fold into "other": cardinality stays bounded.
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: UNMATCHED_ENDPOINT, method: 'GET', status: '404' })).toBe(3);
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: UNMATCHED_ENDPOINT, method: 'other', status: '404' })).toBe(1);
    expect(text).not.toContain('/get-leaves/0/1');
    expect(text).not.toContain('/nope');
  });

  it('records its own scrapes on the internal listener', async () => {
    const m = createMetrics('secondary', { defaultMetrics: false });
    const { internal } = await startServers(m);
    await (await fetch(`${internal}/metrics`)).text();
    const text = await (await fetch(`${internal}/metrics`)).text();
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: '/metrics', method: 'GET', status: '200', role: 'secondary' })).toBe(1);
  });
});
