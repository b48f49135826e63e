/**
 * Reference log benchmark: the real `sigsum-log primary` process (SQLite,
 * WAL, synchronous=FULL) on 127.0.0.1, driven over HTTP from this process.
 *
 *  1. (write throughput and re-sends: bench/log-write.bench.ts, under wrk)
 *  2. submit-to-published-head p50 (no witnesses; 1 s interval). Baseline:
 *     the publish interval.
 *  3. A large log built by a bulk loader (storage + CompactRange directly):
 *     proof latency p50/p99 (baseline: get-tree-head latency), get-leaves
 *     leaves/s in 512-leaf batches (baseline: the same reads in-process from
 *     SQLite), bytes per leaf on disk, and the server's RSS at 100k vs 1M
 *     leaves (baseline: RSS of a freshly started log).
 *
 * Run: npx tsx bench/log.bench.ts   (LOG_BENCH_LARGE=200000 for a quicker run; LOG_BENCH_SMALL, default 100000)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeedSigner, toHex } from '@sigsum-kit/sdk';
import { openSqliteStorage } from '@sigsum-kit/reference-log';
import { appendBulkLeaves, createBulkLog } from './bulk-log.js';
import { textAnswer } from '../test/http-answer.js';

const CLI = fileURLToPath(new URL('../reference-log/dist/cli/main.js', import.meta.url));
const SMALL = Number(process.env.LOG_BENCH_SMALL ?? 100_000);
const LARGE = Number(process.env.LOG_BENCH_LARGE ?? 1_000_000);
const SUBMIT_LEAVES = 8_000;

const sha = (...parts: (string | Uint8Array)[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** Fast add-leaf bodies: node:crypto signs (OpenSSL); the log verifies with the SDK. */
function makeBodies(n: number, label: string): string[] {
  const seed = sha(`log bench submitter ${label}`);
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const pub = new SeedSigner(seed).publicKey;
  const ns = Buffer.from('sigsum.org/v1/tree-leaf\0');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const message = sha(`${label} ${i}`);
    const sig = nodeSign(null, Buffer.concat([ns, sha(message)]), key);
    out.push(`message=${toHex(message)}\nsignature=${toHex(sig)}\npublic_key=${toHex(pub)}\n`);
  }
  return out;
}

interface Server {
  url: string;
  internalUrl: string;
  proc: ChildProcess;
  rssMiB(): number;
  stop(): Promise<void>;
}

function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ keyFile: 'log.key', listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', logLevel: 'info', ...extra }));
  return path;
}

function startServer(config: string, extra: string[] = []): Promise<Server> {
  const proc = spawn(process.execPath, [CLI, 'primary', '-c', config, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`log did not start: ${out}`));
    }, 60_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /"url":"([^"]+)","internalUrl":"([^"]+)"[^\n]*"msg":"log started"/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve({
          url: m[1]!,
          internalUrl: m[2]!,
          proc,
          rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024,
          stop: () => new Promise((res) => {
            proc.once('exit', () => res());
            proc.kill('SIGTERM');
          }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) => reject(new Error(`log exited (${code}): ${out}`)));
  });
}

// node:http with keep-alive: far less client CPU than fetch, so the figures are the server's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

function request(url: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return textAnswer(http.request(url, { method, agent, headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) } }), body);
}

async function post(url: string, body: string): Promise<number> {
  return (await request(url, 'POST', body)).status;
}

async function getText(url: string): Promise<string> {
  const r = await request(url, 'GET');
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.text}`);
  return r.text;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function latencies(urls: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const u of urls) {
    const t = performance.now();
    await getText(u);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

/** Write `n` leaves straight into a new log database; returns sample leaf hashes and the load rate. */
async function bulkLoad(dir: string, n: number): Promise<{ sample: Uint8Array[]; leavesPerSec: number; dbBytes: number }> {
  const log = await createBulkLog(dir, `log bench ${n}`);
  const sample: Uint8Array[] = [];
  const t0 = performance.now();
  await appendBulkLeaves(log, n, 'bulk', (j, leafHash) => {
    if (j % Math.max(1, Math.floor(n / 4000)) === 0) sample.push(leafHash);
  });
  const leavesPerSec = n / ((performance.now() - t0) / 1000);
  log.storage.close();
  const dbBytes = statSync(join(dir, 'data', 'log.sqlite')).size;
  return { sample, leavesPerSec, dbBytes };
}

async function readBench(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `log-bench-${n}-`));
  try {
    const load = await bulkLoad(dir, n);
    console.log(`\n[${fmt(n)} leaves] bulk load: ${fmt(load.leavesPerSec)} leaves/s; ${fmt(load.dbBytes / n, 1)} bytes/leaf on disk (${fmt(load.dbBytes / 2 ** 20, 1)} MiB)`);
    // The bulk loader writes no published-tree-head file for the start-up check to compare with.
    const server = await startServer(writeConfig(dir), ['--trust-database']);
    try {
      const size = n;
      const proofUrls = load.sample.slice(0, 2000).map((h) => `${server.url}get-inclusion-proof/${size}/${toHex(h)}`);
      await latencies(proofUrls.slice(0, 200)); // warm-up
      const proof = await latencies(proofUrls);
      const head = await latencies(Array.from({ length: 2000 }, () => server.url + 'get-tree-head'));
      console.log(
        `  inclusion proof latency p50 ${fmt(pct(proof, 50), 3)} ms, p99 ${fmt(pct(proof, 99), 3)} ms` +
          ` | baseline get-tree-head p50 ${fmt(pct(head, 50), 3)} ms, p99 ${fmt(pct(head, 99), 3)} ms` +
          ` | ratio p99 ${fmt(pct(proof, 99) / pct(head, 99), 2)}×`,
      );
      const cons = await latencies(Array.from({ length: 500 }, (_, i) => `${server.url}get-consistency-proof/${1 + ((i * 7919) % (size - 1))}/${size}`));
      console.log(`  consistency proof latency p50 ${fmt(pct(cons, 50), 3)} ms, p99 ${fmt(pct(cons, 99), 3)} ms`);
      // get-leaves: 512-leaf batches at random offsets, sequential.
      const starts = Array.from({ length: 200 }, (_, i) => (i * 104729) % Math.max(1, size - 512));
      const t = performance.now();
      let got = 0;
      for (const s of starts) got += (await getText(`${server.url}get-leaves/${s}/${s + 512}`)).split('\n').length - 1;
      const httpRate = got / ((performance.now() - t) / 1000);
      const storage = openSqliteStorage(join(dir, 'data', 'log.sqlite'));
      const t2 = performance.now();
      let direct = 0;
      for (const s of starts) direct += storage.getLeaves(s, s + 512).length;
      const directRate = direct / ((performance.now() - t2) / 1000);
      storage.close();
      console.log(`  get-leaves ${fmt(httpRate)} leaves/s over HTTP | baseline in-process SQLite reads ${fmt(directRate)} leaves/s | ratio ${fmt(httpRate / directRate, 2)}×`);
      console.log(`  server RSS after the read load: ${fmt(server.rssMiB(), 1)} MiB`);
      rss.push({ n, mib: server.rssMiB() });
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rss: { n: number; mib: number }[] = [];

async function main(): Promise<void> {
  if (spawnSync(process.execPath, [CLI, '--help']).status !== 0) throw new Error('build first: npx tsc -b');
  console.log(`log.bench: ${SUBMIT_LEAVES} submissions per write test; large log ${fmt(LARGE)} leaves`);
  const dir = mkdtempSync(join(tmpdir(), 'log-bench-write-'));
  try {
    // Only `sigsum-log init` creates a log's database; the latency figure is against a 1 s interval.
    const init = spawnSync(process.execPath, [CLI, 'init', '--dir', dir], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`sigsum-log init: ${init.stderr}`);
    const initConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const server = await startServer(writeConfig(dir, { ...initConfig, listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', logLevel: 'info', intervalMs: 1000, maxPending: 1_000_000 }));
    const freshRss = server.rssMiB();
    try {
      // Write throughput and re-sends under wrk: bench/log-write.bench.ts.
      // Submit-to-published-head latency (1 s interval, no witnesses).
      const bodies = makeBodies(15, 'latency');
      const waits: number[] = [];
      for (const body of bodies) {
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        const t = performance.now();
        // 200 means the served head covers the leaf.
        while ((await post(server.url + 'add-leaf', body)) !== 200) await new Promise((r) => setTimeout(r, 5));
        waits.push(performance.now() - t);
      }
      waits.sort((x, y) => x - y);
      console.log(`submit-to-published-head p50 ${fmt(pct(waits, 50))} ms, max ${fmt(waits[waits.length - 1]!)} ms | baseline: publish interval 1000 ms | ratio ${fmt(pct(waits, 50) / 1000, 2)}×`);
    } finally {
      await server.stop();
    }
    console.log(`fresh log RSS: ${fmt(freshRss, 1)} MiB`);
    for (const n of [SMALL, LARGE]) await readBench(n);
    if (rss.length === 2) {
      console.log(`\nRSS ${fmt(rss[0]!.n)} leaves: ${fmt(rss[0]!.mib, 1)} MiB; ${fmt(rss[1]!.n)} leaves: ${fmt(rss[1]!.mib, 1)} MiB | ratio ${fmt(rss[1]!.mib / rss[0]!.mib, 2)}× (baseline fresh log ${fmt(freshRss, 1)} MiB)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

agent.destroy();
