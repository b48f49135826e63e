/**
 * End to end over real HTTP: the built `sigsum-log primary` process with a
 * policy naming a live reference witness and a dead one (quorum: any), its
 * metrics scraped from the internal listener, and the witness's own metrics.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedSigner, parseOpenSshPublicKey, sha256, toHex, utf8 } from '@sigsum-kit/sdk';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { get, initLog, makeSubmissions, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';
import { initNode, pairPorts, patchConfig, startNode, type NodeProcess } from './replication-helpers.js';
import { sample } from './prometheus-text.js';

let log: LogProcess;
let witness: RunningWitness;
let deadUrl: string;
let tmp: { dir: string; cleanup: () => void };

/** A URL on which nothing listens (a port bound and released). */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Scrape until `ready(text)` holds (the log publishes every 200 ms). */
async function scrapeUntil(ready: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { text } = await get(log.internalUrl + 'metrics');
    if (ready(text)) return text;
    if (Date.now() > deadline) throw new Error(`metrics never became ready:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  tmp = tempDir('sigsum-metrics-it-');
  const configPath = initLog(tmp.dir, { intervalMs: 200, policyFile: 'policy.txt', witnessTimeoutMs: 1000 });
  const logKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8')).publicKey;
  const witnessKey = new SeedSigner(sha256(utf8('metrics integration witness')));
  witness = await startWitness({ signer: witnessKey, statePath: join(tmp.dir, 'witness.db'), logKeys: [logKey], metricsListen: {} });
  deadUrl = await deadEndpoint();
  const deadKey = new SeedSigner(sha256(utf8('metrics integration dead witness')));
  writeFileSync(
    join(tmp.dir, 'policy.txt'),
    [
      `log ${toHex(logKey)}`,
      `witness live ${toHex(witnessKey.publicKey)} ${witness.url}`,
      `witness dead ${toHex(deadKey.publicKey)} ${deadUrl}`,
      'group any-one any live dead',
      'quorum any-one',
      '',
    ].join('\n'),
  );
  log = await startLogProcess(configPath);
});

afterAll(async () => {
  await log?.stop();
  await witness?.close();
  tmp?.cleanup();
});

describe('metrics of a running log with witnesses', () => {
  it('exports witness, quorum, tree and HTTP series on the internal listener', async () => {
    const subs = await makeSubmissions(3, 'metrics integration');
    for (const s of subs) await submitUntilSequenced(log.url, s.body);
    const live = witness.url.replace('http://', '');
    const dead = deadUrl.replace('http://', '');
    const text = await scrapeUntil((t) => sample(t, 'sigsum_log_published_tree_size') === 3);

    expect(sample(text, 'sigsum_log_witness_checkpoint_requests_total', { witness: live, status: '200', role: 'primary' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'sigsum_log_witness_checkpoint_requests_total', { witness: dead, status: 'other', retried: 'false' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'sigsum_log_witness_checkpoint_request_duration_seconds_count', { witness: live })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'sigsum_log_witness_checkpoint_request_duration_seconds_count', { witness: dead })).toBeUndefined();
    expect(sample(text, 'sigsum_log_witness_quorum_total', { status: 'true' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'sigsum_log_witness_quorum_reached')).toBe(1);
    expect(sample(text, 'sigsum_log_tree_size')).toBe(3);
    expect(sample(text, 'sigsum_log_pending_leaves')).toBe(0);
    expect(sample(text, 'sigsum_log_published_tree_age_seconds')).toBeLessThan(30);
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: '/add-leaf', method: 'POST', status: '200' })).toBe(3);
    // No storage failures happened, and no rate limiting is configured.
    expect(text).not.toMatch(/^sigsum_log_storage_errors_total\{/m);
    expect(text).not.toMatch(/^sigsum_log_rate_limit_decisions_total\{/m);
  });

  it('the witness exports its own HTTP metrics with role="witness"', async () => {
    const { status, text } = await get(witness.metricsUrl!);
    expect(status).toBe(200);
    expect(sample(text, 'sigsum_http_responses_total', { role: 'witness', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(1);
  });
});

describe('replication metrics of a primary whose secondary is down', () => {
  let primary: LogProcess;
  let dir: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    dir = tempDir('sigsum-metrics-repl-');
    const secondaryKey = new SeedSigner(sha256(utf8('metrics integration secondary')));
    const configPath = initLog(dir.dir, { intervalMs: 200, secondaryUrl: await deadEndpoint(), secondaryPublicKey: toHex(secondaryKey.publicKey) });
    primary = await startLogProcess(configPath);
  });
  afterAll(async () => {
    await primary?.stop();
    dir?.cleanup();
  });

  it('reports the secondary unreachable, with unknown lag, and keeps leaves at 202', async () => {
    const [leaf] = await makeSubmissions(1, 'metrics replication');
    const r = await fetch(primary.url + 'add-leaf', { method: 'POST', body: leaf!.body });
    await r.text();
    expect(r.status).toBe(202);
    const deadline = Date.now() + 15_000;
    let text = '';
    for (;;) {
      text = (await get(primary.internalUrl + 'metrics')).text;
      if (sample(text, 'sigsum_log_secondary_reachable') === 0 && sample(text, 'sigsum_log_tree_size') === 1) break;
      if (Date.now() > deadline) throw new Error(`secondary never reported unreachable:\n${text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(sample(text, 'sigsum_log_secondary_reachable', { role: 'primary' })).toBe(0);
    expect(sample(text, 'sigsum_log_replication_lag_leaves')).toBeNaN();
    expect(sample(text, 'sigsum_log_replication_lag_seconds')).toBeNaN();
    // Nothing is published beyond what the secondary has confirmed (none).
    expect(sample(text, 'sigsum_log_published_tree_size')).toBe(0);
  });
});

describe('replication metrics of a primary with a live secondary', () => {
  let primary: LogProcess;
  let secondary: NodeProcess;
  let secondaryUrl: string;
  let dirs: { dir: string; cleanup: () => void }[] = [];
  beforeAll(async () => {
    dirs = [tempDir('sigsum-metrics-pri-'), tempDir('sigsum-metrics-sec-')];
    const [p, s] = dirs.map((d) => d.dir) as [string, string];
    const ports = await pairPorts();
    secondaryUrl = `http://127.0.0.1:${ports.secondary}/`;
    const primaryConfig = initLog(p, { listen: `127.0.0.1:${ports.pub}`, internalListen: `127.0.0.1:${ports.internal}`, intervalMs: 200 });
    const logKey = parseOpenSshPublicKey(readFileSync(join(p, 'log.key.pub'), 'utf8')).publicKey;
    const secondaryConfig = initNode(s, { internalListen: `127.0.0.1:${ports.secondary}`, primaryUrl: `http://127.0.0.1:${ports.internal}` }, toHex(logKey));
    const secondaryKey = parseOpenSshPublicKey(readFileSync(join(s, 'log.key.pub'), 'utf8')).publicKey;
    patchConfig(primaryConfig, { secondaryUrl: `http://127.0.0.1:${ports.secondary}`, secondaryPublicKey: toHex(secondaryKey) });
    primary = await startLogProcess(primaryConfig);
    secondary = await startNode(['secondary', '-c', secondaryConfig], 'secondary started');
  });
  afterAll(async () => {
    await primary?.stop();
    await secondary?.stop();
    for (const d of dirs) d.cleanup();
  });

  it('reports the secondary reachable and in sync once it has every leaf', async () => {
    for (const sub of await makeSubmissions(2, 'metrics pair')) await submitUntilSequenced(primary.url, sub.body);
    const deadline = Date.now() + 15_000;
    let text = '';
    for (;;) {
      text = (await get(primary.internalUrl + 'metrics')).text;
      if (sample(text, 'sigsum_log_secondary_reachable') === 1 && sample(text, 'sigsum_log_replication_lag_leaves') === 0) break;
      if (Date.now() > deadline) throw new Error(`secondary never in sync:\n${text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(sample(text, 'sigsum_log_tree_size')).toBe(2);
    expect(sample(text, 'sigsum_log_replication_lag_seconds')).toBe(0);
  });

  it('the secondary serves its own metrics with role="secondary"', async () => {
    const deadline = Date.now() + 15_000;
    let text = '';
    for (;;) {
      text = (await get(secondaryUrl + 'metrics')).text;
      if (sample(text, 'sigsum_log_tree_size') === 2) break;
      if (Date.now() > deadline) throw new Error(`secondary metrics never showed the leaves:\n${text}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(sample(text, 'sigsum_log_tree_size', { role: 'secondary' })).toBe(2);
    // Seen from the secondary: the primary is reachable and nothing is missing.
    expect(sample(text, 'sigsum_log_secondary_reachable')).toBe(1);
    expect(sample(text, 'sigsum_log_replication_lag_leaves')).toBe(0);
    // The primary's gate polls get-secondary-tree-head; those requests are recorded by route pattern.
    expect(sample(text, 'sigsum_http_responses_total', { endpoint: '/get-secondary-tree-head', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/^sigsum_log_pending_leaves/m);
  });
});
