/**
 * Cost of the "operating the log" layer, each against a baseline measured in
 * the same run:
 * - HTTP request through Fastify with the metrics plugin vs the same app without it;
 * - a /metrics scrape of a registry holding a realistic series count;
 * - rate-limit decisions: key rule, domain rule with a cached token look-up
 *   (one Ed25519 verify per request), repeat of a counted leaf — vs a limiter
 *   without config (the no-op every log without limits runs).
 * Run: npx tsx bench/operations.bench.ts
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { SUBMIT_TOKEN_NAMESPACE, keyHash, namespacedMessage, publicKeyFromSeed, sha256, signWithSeed, toHex, utf8 } from '../sdk/src/index.js';
import { createMetrics, metricsPlugin } from '../reference-log/src/metrics/index.js';
import { createRateLimiter, parseRateLimitConfig, type TxtResolver } from '../reference-log/src/ratelimit/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

/** Operations per second of `op` over `ms` milliseconds. */
async function measure(op: () => unknown | Promise<unknown>, ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    await op();
    n++;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function report(name: string, perSec: number): number {
  console.log(`${name.padEnd(58)} ${perSec.toFixed(0).padStart(9)} ops/s  ${(1e6 / perSec).toFixed(1).padStart(8)} µs/op`);
  return perSec;
}

/**
 * Measure `ops` in alternating rounds (the machine is shared, so a drift in
 * load hits every variant alike) and report each one's median.
 */
async function interleaved(ops: [string, () => unknown | Promise<unknown>][], rounds = 5): Promise<number[]> {
  for (const [, op] of ops) await measure(op, 200);
  const samples = ops.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < ops.length; k++) samples[k]!.push(await measure(ops[k]![1], (SECONDS * 1000) / rounds));
  }
  return samples.map((xs, k) => report(ops[k]![0], xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!));
}

function ratio(label: string, value: number, baseline: number): void {
  console.log(`  → ${label}: ${Number((value / baseline).toPrecision(3))}× baseline`);
}

async function app(withMetrics: boolean): Promise<FastifyInstance> {
  const a = Fastify();
  if (withMetrics) await a.register(metricsPlugin, { metrics: createMetrics('primary', { defaultMetrics: false }), serve: false });
  a.get('/get-leaves/*', async () => 'leaf\n');
  await a.ready();
  return a;
}

// --- HTTP metrics overhead -------------------------------------------------
const plain = await app(false);
const measured = await app(true);
let i = 0;
const [base, withM] = await interleaved([
  ['fastify inject GET /get-leaves/* (baseline, no metrics)', () => plain.inject(`/get-leaves/${i++}/${i}`)],
  ['fastify inject GET /get-leaves/* with metrics plugin', () => measured.inject(`/get-leaves/${i++}/${i}`)],
]);
ratio('throughput with metrics', withM!, base!);

// --- scrape -----------------------------------------------------------------
const m = createMetrics('primary');
const endpoints = ['/add-leaf', '/get-tree-head', '/get-leaves/*', '/get-inclusion-proof/*', '/get-consistency-proof/*', 'unmatched'];
for (const endpoint of endpoints) {
  for (const status of ['200', '202', '400', '403', '404', '429', '503']) {
    m.httpResponses.inc({ endpoint, method: 'GET', status });
    m.httpDuration.observe({ endpoint, method: 'GET', status }, 0.003);
  }
}
for (let w = 0; w < 5; w++) m.observeWitnessRequest(`https://w${w}.example`, 200, false, 0.2);
const text = await m.registry.metrics();
const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
const tiny = createMetrics('witness', { defaultMetrics: false });
const [scrapeBase, scrape] = await interleaved([
  ['scrape of an empty witness registry (baseline)', () => tiny.registry.metrics()],
  [`scrape of a primary registry (${series} series, ${(text.length / 1024).toFixed(0)} KiB)`, () => m.registry.metrics()],
]);
ratio('scrape time', scrapeBase!, scrape!);

// --- rate limiter -------------------------------------------------------------
const logKey = publicKeyFromSeed(new Uint8Array(32).fill(1));
const tokenSeed = new Uint8Array(32).fill(2);
const header = `example.org ${toHex(signWithSeed(tokenSeed, namespacedMessage(SUBMIT_TOKEN_NAMESPACE, logKey)))}`;
// In-memory resolvers. `resolver` returns one answer object, as the caching DNS resolver does while the TTL lasts.
const answer = { records: [toHex(publicKeyFromSeed(tokenSeed))], ttl: 300 };
const resolver: TxtResolver = { resolveTxt: async () => answer };
const submitter = keyHash(publicKeyFromSeed(new Uint8Array(32).fill(3)));
const config = parseRateLimitConfig(`key ${toHex(submitter)} 2000000000\ndomain example.org 2000000000\n`);
const other = keyHash(publicKeyFromSeed(new Uint8Array(32).fill(4)));
let leafNo = 0;
const nextLeaf = (): Uint8Array => sha256(utf8(`bench leaf ${leafNo++}`));
const none = createRateLimiter(undefined, { logPublicKey: logKey, resolver });
const limiter = createRateLimiter(config, { logPublicKey: logKey, resolver });
const repeated = nextLeaf();
await limiter.check({ submitterKeyHash: submitter, leafHash: repeated });
// One token check against a fresh answer object: what a request pays when the TXT answer has just expired.
const fresh: TxtResolver = { resolveTxt: async () => ({ records: [toHex(publicKeyFromSeed(tokenSeed))], ttl: 0 }) };
const uncached = createRateLimiter(config, { logPublicKey: logKey, resolver: fresh });
const [noLimit, keyRule, tokenRule, tokenFresh, dup] = await interleaved([
  ['check, no config (baseline)', () => none.check({ submitterKeyHash: submitter, leafHash: nextLeaf() })],
  ['check, key rule, new leaf', () => limiter.check({ submitterKeyHash: submitter, leafHash: nextLeaf() })],
  ['check, domain rule, token (cached TXT answer), new leaf', () => limiter.check({ submitterKeyHash: other, leafHash: nextLeaf(), tokenHeader: header })],
  ['check, domain rule, token (fresh TXT answer: Ed25519)', () => uncached.check({ submitterKeyHash: other, leafHash: nextLeaf(), tokenHeader: header })],
  ['check, repeat of a counted leaf', () => limiter.check({ submitterKeyHash: submitter, leafHash: repeated })],
]);
ratio('key rule', keyRule!, noLimit!);
ratio('domain rule, cached answer', tokenRule!, noLimit!);
ratio('domain rule, fresh answer', tokenFresh!, noLimit!);
ratio('repeat', dup!, noLimit!);
console.log(`counted leaves held in memory: ${limiter.usage().reduce((a, c) => a + c.used, 0)}`);
await plain.close();
await measured.close();
