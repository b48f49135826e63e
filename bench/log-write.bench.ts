/**
 * The log's write path and hot reads under a load generator that does not
 * compete in JavaScript (wrk, a C program; `apt-get install wrk`), against
 * the real `sigsum-log primary` process with durable SQLite and the default
 * configuration plus one witness and a 1 s publish interval. Each figure is printed with its ratio to a
 * baseline measured in the same run (issue 13, targets 1–5):
 *
 *  1. ingestion: wrk's first request → a cosigned head covering N distinct
 *     pre-signed leaves (64 connections, wrk cycling through the bodies);
 *     baseline: this machine's Ed25519 ceiling = single-thread node:crypto
 *     verifications/s × cores.
 *  2. server CPU per leaf during (1) (utime+stime of the whole process from
 *     /proc, so the verification threads count); baseline: one node:crypto
 *     Ed25519 verification. (1) and (2) are also measured with
 *     `verifyWorkers: 0` (signatures on the main thread) in the same run.
 *     (2) once more on a new log with each body sent once (wrk's threads
 *     stop after their share), so re-sends do not count.
 *  3. re-sends of the N stored leaves (all 200), answers/s; baseline:
 *     get-tree-head answers/s from the same server.
 *  4. get-tree-head answers/s; baseline: a bare node:http server answering
 *     the same bytes.
 *  5. RSS of a fresh primary and of a primary over a 1M-leaf database after
 *     serving; baselines: a bare Fastify process and a bare `node -e` process.
 *
 * Floors, measured in the same run, that show how much of a target the
 * machine and the chosen framework leave: for 1 and 2, one node:http process
 * per core that only parses, verifies and answers 202 (no log at all); for 3,
 * the bare node:http server of 4 reading the same add-leaf bodies and
 * answering 200 against its own GET; and a bare Fastify app answering the
 * same get-tree-head bytes and reading the same add-leaf bodies.
 *
 * Run: npx tsx bench/log-write.bench.ts  (LOG_WRITE_N=20000, LOG_WRITE_LARGE=1000000, LOG_WRITE_SECONDS=5, LOG_WRITE_ROUNDS=5;
 * LOG_WRITE_ONLY=memory runs item 5 alone, LOG_WRITE_ONLY=http items 3 and 4 after one ingestion)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeedSigner, parseOpenSshPublicKey, toHex } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { appendBulkLeaves, createBulkLog } from './bulk-log.js';
import { quantile } from './stress.js';

const CLI = fileURLToPath(new URL('../reference-log/dist/cli/main.js', import.meta.url));
const N = Number(process.env.LOG_WRITE_N ?? 20_000);
const LARGE = Number(process.env.LOG_WRITE_LARGE ?? 1_000_000);
const SECONDS = Number(process.env.LOG_WRITE_SECONDS ?? 5);
/** Alternating wrk rounds of items 3 and 4 (their medians are reported). */
const ROUNDS = Number(process.env.LOG_WRITE_ROUNDS ?? 5);
/** `memory`: item 5 only (fresh primaries, the 1M-leaf primary and the baselines), without wrk's ingestion runs. */
const ONLY = process.env.LOG_WRITE_ONLY;
const CONNECTIONS = 64;
const CORES = os.cpus().length;
const TICK = 100; // USER_HZ of /proc/<pid>/stat on Linux

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sha = (...parts: (string | Uint8Array)[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');

function needWrk(): void {
  if (spawnSync('wrk', ['--version']).error !== undefined) {
    console.log('wrk is not installed (scripts/install-system-deps.sh installs it); skipping log-write.bench');
    process.exit(0);
  }
}

/** N add-leaf bodies, signed with node:crypto by 16 submitter keys. */
function makeBodies(n: number): string[] {
  const keys = Array.from({ length: 16 }, (_, k) => {
    const seed = sha(`log-write bench submitter ${k}`);
    return { priv: createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' }), pub: toHex(new SeedSigner(seed).publicKey) };
  });
  const ns = Buffer.from('sigsum.org/v1/tree-leaf\0');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i % keys.length]!;
    const message = sha(`log-write ${i}`);
    out.push(`message=${message.toString('hex')}\nsignature=${nodeSign(null, Buffer.concat([ns, sha(message)]), k.priv).toString('hex')}\npublic_key=${k.pub}\n`);
  }
  return out;
}

/** Single-thread node:crypto Ed25519 verifications per second (the same call the log makes). */
function verifyRate(): number {
  const seed = sha('ceiling');
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(new SeedSigner(seed).publicKey)]), format: 'der', type: 'spki' });
  const msgs = Array.from({ length: 256 }, (_, i) => sha(`m ${i}`));
  const sigs = msgs.map((m) => nodeSign(null, m, priv));
  for (let i = 0; i < 2000; i++) nodeVerify(null, msgs[i & 255]!, pub, sigs[i & 255]!);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    let n = 0;
    while (performance.now() - t < 1000) {
      for (let i = 0; i < 256; i++) nodeVerify(null, msgs[i]!, pub, sigs[i]!);
      n += 256;
    }
    best = Math.max(best, n / ((performance.now() - t) / 1000));
  }
  return best;
}

/**
 * A Lua script making wrk cycle through the bodies in the file `data` (3 lines
 * each), each thread from its own offset. The requests are formatted once,
 * in `init`: formatting one per request (`wrk.format` builds a table and a
 * string) cost wrk ≈ 1.5 µs more CPU per POST (22.2–23.1 µs against
 * 21.0–21.4 µs; a GET 18.7–19.6 µs; 2026-11-30), on the cores the server
 * shares.
 */
function luaScript(dir: string, path: string, data: string, once = false): string {
  const file = join(dir, once ? 'bodies-once.lua' : 'bodies.lua');
  // Once: each of wrk's two threads sends its half of the bodies and stops
  // (the log still answers what is in flight; wrk's last request per thread
  // is one get-tree-head, as a script must return a request). wrk calls the
  // first thread's request() once before the run to inspect the request and
  // sends nothing for it, so that call does not count (should a wrk not make
  // it, the first body goes twice: one re-send among N).
  const requests = once
    ? `  local half = math.floor(n / 2)\n  if id == 0 then i, last = 0, half else i, last = half, n end\n  inspected = id ~= 0\n  tail = wrk.format("GET", "/get-tree-head")\nend\n` +
      `function request()\n  if not inspected then inspected = true; return bodies[1] end\n  if i < last then i = i + 1; return bodies[i] end\n  wrk.thread:stop(); return tail\nend\n`
    : `  i = id * math.floor(n / 2)\nend\n` + `function request() i = i % n + 1; return bodies[i] end\n`;
  writeFileSync(
    file,
    `local counter = 0\n` +
      `function setup(thread) thread:set("id", counter); counter = counter + 1 end\n` +
      `function init(args)\n` +
      `  bodies = {}\n  local lines = {}\n` +
      `  for line in io.lines("${data}") do\n    table.insert(lines, line)\n` +
      `    if #lines == 3 then\n` +
      `      table.insert(bodies, wrk.format("POST", "${path}", {["Content-Type"] = "text/plain"}, table.concat(lines, "\\n") .. "\\n")); lines = {}\n` +
      `    end\n  end\n` +
      `  n = #bodies\n` +
      requests,
  );
  return file;
}

interface Wrk {
  proc: ChildProcess;
  output: Promise<string>;
}

function runWrk(url: string, seconds: number, script?: string): Wrk {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
  const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { proc, output: new Promise((res) => proc.on('exit', () => res(out))) };
}

const requestsPerSec = (out: string): number => {
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (m === null) throw new Error(`no wrk figure in: ${out}`);
  return Number(m[1]);
};

const totalRequests = (out: string): number => {
  const m = /(\d+) requests in/.exec(out);
  if (m === null) throw new Error(`no wrk request count in: ${out}`);
  return Number(m[1]);
};

interface Proc {
  url: string;
  proc: ChildProcess;
  rssMiB(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function procFigures(pid: number): Pick<Proc, 'rssMiB' | 'cpuSeconds'> {
  return {
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024,
    cpuSeconds: () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime
    },
  };
}

function startProc(args: string[], ready: RegExp): Promise<Proc & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`did not start: ${out}`));
    }, 120_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = ready.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        proc.stdout!.removeAllListeners('data');
        proc.stderr!.removeAllListeners('data');
        proc.stdout!.resume();
        proc.stderr!.resume();
        resolve({
          match: m,
          url: m[1] ?? '',
          proc,
          ...procFigures(proc.pid!),
          stop: () =>
            new Promise((res) => {
              // A process ended by a signal has no exit code.
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill('SIGTERM');
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`exited (${code}): ${out}`)));
  });
}

const startLog = (config: string, extra: string[] = [], nodeArgs: string[] = []): Promise<Proc & { match: RegExpExecArray }> =>
  startProc([...nodeArgs, CLI, 'primary', '-c', config, ...extra], /"url":"([^"]+)"[^\n]*"msg":"log started"/);

/** A V8 setting an operator may give the log (docs/operations.md): a young generation of 2 × 2 MiB instead of up to 2 × 16 MiB. */
const SMALL_YOUNG_GEN = ['--max-semi-space-size=2'];

async function getText(url: string): Promise<string> {
  const r = await fetch(url);
  return r.text();
}

/**
 * The clock of item 1 starts at the log's first add-leaf request, as the
 * issue defines it, not when wrk starts: wrk's Lua `init` formats every
 * request first (≈ 0.1 s for 20,000). The log's request count on its
 * internal /metrics is polled every 5 ms while it is still idle; the time
 * returned is when the last scrape that saw no request was answered, so
 * the figure errs long, never short.
 */
async function firstAddLeafAt(internalUrl: string): Promise<number> {
  let quietAt = performance.now();
  const deadline = quietAt + 60_000;
  for (;;) {
    if (performance.now() > deadline) throw new Error(`no add-leaf request counted on ${internalUrl}metrics after 60 s`);
    const text = await getText(internalUrl + 'metrics');
    if (/^sigsum_http_requests_total\{[^}]*endpoint="[^"]*\/add-leaf"[^}]*\} [1-9]/m.test(text)) return quietAt;
    quietAt = performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `init` a log with the default configuration (plus `extra`), free ports and one witness. */
async function initWitnessedLog(dir: string, extra: Record<string, unknown> = {}): Promise<{ config: string; witness: Proc }> {
  const r = spawnSync(process.execPath, [CLI, 'init', '--dir', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const logKey = parseOpenSshPublicKey(readFileSync(join(dir, 'log.key.pub'), 'utf8').trim()).publicKey;
  const wkey = await generateKeyFiles(join(dir, 'w.key'));
  const witness = await startProc(
    [CLI, 'witness', '-k', join(dir, 'w.key'), '--state-db', join(dir, 'w.db'), '--log-key', toHex(logKey), '--listen', '127.0.0.1:0'],
    /witness listening on (\S+) /,
  );
  writeFileSync(join(dir, 'policy'), `log ${toHex(logKey)}\nwitness W ${toHex(wkey.publicKey)} ${witness.url}\nquorum W\n`);
  const config = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  // A head every second (the conditions; production default 10 s), promised to the witness.
  writeFileSync(config, JSON.stringify({ ...c, listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', policyFile: 'policy', intervalMs: 1000, witnessRequestsPerDay: 86_400, ...extra }));
  return { config, witness };
}

/** Write `n` leaves straight into a new log database (for the memory figure). */
async function bulkLoad(dir: string, n: number): Promise<void> {
  const log = await createBulkLog(dir, `log-write bench large ${n}`);
  await appendBulkLeaves(log, n, 'bulk');
  log.storage.close();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ keyFile: 'log.key', listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', logLevel: 'info' }));
}

/**
 * A bare node:http server: GET answers the given head bytes; POST reads the
 * body and answers 200 with none (the floor of a re-send). With a second
 * argument `leaf`, POST also does the least a re-send must do to be answered
 * right: the leaf hash of the body (SHA-256 of the message, of the public key,
 * then of 0x00 ‖ checksum ‖ signature ‖ key hash) looked up in a Set of the
 * leaf hashes seen (no parse checks, no log).
 */
const BARE_HTTP = `
const http = require('node:http');
const { hash } = require('node:crypto');
const body = Buffer.from(process.argv[1], 'base64');
const leaf = process.argv[2] === 'leaf';
const seen = new Set();
const sha = (b) => Buffer.from(hash('sha256', b, 'latin1'), 'latin1');
function leafHashOf(text) {
  const f = {};
  for (const line of text.split('\\n')) { const i = line.indexOf('='); if (i > 0) f[line.slice(0, i)] = line.slice(i + 1); }
  const leaf = Buffer.alloc(129);
  leaf.set(sha(Buffer.from(f.message, 'hex')), 1);
  leaf.write(f.signature, 33, 'hex');
  leaf.set(sha(Buffer.from(f.public_key, 'hex')), 97);
  return hash('sha256', leaf, 'latin1');
}
http.createServer((req, res) => {
  if (req.method !== 'POST') { res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length }); res.end(body); return; }
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { text += c; });
  req.on('end', () => {
    let status = text.length > 0 ? 200 : 400;
    if (leaf && status === 200) { const h = leafHashOf(text); if (!seen.has(h)) { seen.add(h); status = 202; } }
    res.writeHead(status, { 'content-length': 0 }); res.end();
  });
})
  .listen(0, '127.0.0.1', function () { console.log('bare listening on http://127.0.0.1:' + this.address().port + '/'); });
`;
const BARE_NODE = `console.log('bare node ready'); setInterval(() => {}, 1 << 30);`;
/**
 * The floor of targets 1 and 2: add-leaf without a log. One node:http process
 * per core (node:cluster) reads each body, checks its shape, verifies the
 * signature with node:crypto (a cached key object per submitter key, as the
 * log does) and answers 202: HTTP and verification only, no storage, no tree,
 * no publication.
 */
const BARE_VERIFY = `
const cluster = require('node:cluster');
const http = require('node:http');
const crypto = require('node:crypto');
const workers = Number(process.argv[1]);
if (cluster.isPrimary) {
  const pids = [];
  for (let i = 0; i < workers; i++) pids.push(cluster.fork().process.pid);
  let up = 0;
  cluster.on('listening', (_w, a) => { if (++up === workers) console.log('bare-verify listening on http://127.0.0.1:' + a.port + '/ pids ' + pids.join(',')); });
} else {
  const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
  const NS = Buffer.from('sigsum.org/v1/tree-leaf\\0', 'latin1');
  const keys = new Map();
  const shape = /^message=([0-9a-f]{64})\\nsignature=([0-9a-f]{128})\\npublic_key=([0-9a-f]{64})\\n$/;
  http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const m = shape.exec(body);
      let ok = false;
      if (m !== null) {
        let key = keys.get(m[3]);
        if (key === undefined) keys.set(m[3], (key = crypto.createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(m[3], 'hex')]), format: 'der', type: 'spki' })));
        const checksum = crypto.createHash('sha256').update(Buffer.from(m[1], 'hex')).digest();
        ok = crypto.verify(null, Buffer.concat([NS, checksum]), key, Buffer.from(m[2], 'hex'));
      }
      res.writeHead(ok ? 202 : 400, { 'content-length': 0 });
      res.end();
    });
  }).listen(0, '127.0.0.1');
}
`;
/** A bare Fastify app: GET /get-tree-head answers the given bytes, POST /add-leaf reads its body (as the log's parser does) and answers 200. */
const BARE_FASTIFY_LOG = `
const app = require(process.argv[1])({ bodyLimit: 1024 });
const head = Buffer.from(process.argv[2], 'base64');
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => done(null, body));
app.get('/get-tree-head', (_req, reply) => reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(head));
app.post('/add-leaf', (req, reply) => reply.code(typeof req.body === 'string' && req.body.length > 0 ? 200 : 400).send());
app.listen({ host: '127.0.0.1', port: 0 }).then((u) => console.log('fastify listening on ' + u + '/'));
`;
const BARE_FASTIFY = `
const app = require(process.argv[1])();
app.get('/', async () => 'ok');
app.listen({ host: '127.0.0.1', port: 0 }).then((u) => console.log('fastify listening on ' + u + '/'));
`;

/** RSS (MiB) of a primary right after start-up and after the same 2 s get-tree-head load as the large primary's. */
interface ServingRss {
  start: number;
  serving: number;
}

async function serveAndMeasure(log: Proc): Promise<ServingRss> {
  const start = log.rssMiB();
  requestsPerSec(await runWrk(log.url + 'get-tree-head', 2).output);
  return { start, serving: log.rssMiB() };
}

/** {@link ServingRss} of a primary on a new witnessed log (default configuration + `extra`). */
async function freshPrimaryRss(dir: string, running: Proc[], extra: Record<string, unknown> = {}, nodeArgs: string[] = []): Promise<ServingRss> {
  const { config, witness } = await initWitnessedLog(dir, extra);
  running.push(witness);
  const log = await startLog(config, [], nodeArgs);
  running.push(log);
  const rss = await serveAndMeasure(log);
  await log.stop();
  await witness.stop();
  return rss;
}

/**
 * 5: memory. `ingested` carries the fresh and after-ingestion figures of
 * items 1–4 when they ran (printed too); the fresh primaries compared with
 * the large one are started here, and measured the same way: at start and
 * after the same get-tree-head load (a load grows V8's young generation
 * whatever the tree size).
 */
async function memory(dir: string, running: Proc[], ingested?: { fresh: number; fresh0: number; after: number }): Promise<void> {
  const fresh = await freshPrimaryRss(join(dir, 'fresh'), running);
  const fresh0 = await freshPrimaryRss(join(dir, 'fresh0'), running, { verifyWorkers: 0 });
  const bareNode = await startProc(['-e', BARE_NODE], /bare node (ready)/);
  running.push(bareNode);
  await new Promise((r) => setTimeout(r, 500));
  const nodeRss = bareNode.rssMiB();
  await bareNode.stop();
  const fastifyMain = fileURLToPath(new URL('../node_modules/fastify/fastify.js', import.meta.url));
  const bareFastifyRss = async (nodeArgs: string[] = []): Promise<number> => {
    const fastify = await startProc([...nodeArgs, '-e', BARE_FASTIFY, fastifyMain], /fastify listening on (\S+)/);
    running.push(fastify);
    await getText(fastify.url);
    const rss = fastify.rssMiB();
    await fastify.stop();
    return rss;
  };
  const fastifyRss = await bareFastifyRss();
  // The same V8 setting for both, so the comparison stays fair.
  const freshSmall = (await freshPrimaryRss(join(dir, 'fresh-small-young'), running, {}, SMALL_YOUNG_GEN)).start;
  const fastifySmall = await bareFastifyRss(SMALL_YOUNG_GEN);
  const big = join(dir, 'large');
  await bulkLoad(big, LARGE);
  // A bulk-loaded database has no published-tree-head file yet: its newest head is the log's latest.
  const large = await startLog(join(big, 'config.json'), ['--trust-database']);
  running.push(large);
  const largeRss = await serveAndMeasure(large);
  await large.stop();
  console.log(
    `5. RSS: fresh primary ${fmt(fresh.start, 1)} MiB at start, ${fmt(fresh.serving, 1)} MiB serving (target ≤ 60; verifyWorkers 0: ${fmt(fresh0.start, 1)} / ${fmt(fresh0.serving, 1)} MiB) | ` +
      `over ${fmt(LARGE)} leaves: ${fmt(largeRss.start, 1)} MiB at start = ${fmt(largeRss.start / fresh.start, 2)}× fresh, ${fmt(largeRss.serving, 1)} MiB serving = ` +
      `${fmt(largeRss.serving / fresh.serving, 2)}× fresh serving (target ≤ 1.2×) | baselines: bare Fastify ${fmt(fastifyRss, 1)} MiB (fresh primary = ` +
      `${fmt(fresh.start / fastifyRss, 2)}× it), bare \`node -e\` ${fmt(nodeRss, 1)} MiB`,
  );
  if (ingested !== undefined) {
    console.log(`   the ingestion runs' primaries: ${fmt(ingested.fresh, 1)} MiB fresh (${fmt(ingested.fresh0, 1)} with verifyWorkers 0), ${fmt(ingested.after, 1)} MiB after ${fmt(N)} leaves and the wrk runs`);
  }
  console.log(`   with ${SMALL_YOUNG_GEN.join(' ')} on both: fresh primary ${fmt(freshSmall, 1)} MiB, bare Fastify ${fmt(fastifySmall, 1)} MiB (${fmt(freshSmall / fastifySmall, 2)}×)`);
}

/** Items 3 and 4 on a log holding the N leaves of `script`: alternating wrk rounds against the log, a bare node:http server and a bare Fastify app. */
async function throughput(log: Proc, script: string): Promise<void> {
  const running: Proc[] = [];
  try {
    // 3 + 4: re-sends (every leaf stored and published: all 200) vs get-tree-head vs bare node:http,
    // and the framework's own floor: a bare Fastify app answering the same GET bytes and reading the same POST bodies.
    const head = await getText(log.url + 'get-tree-head');
    const bare = await startProc(['-e', BARE_HTTP, Buffer.from(head).toString('base64')], /bare listening on (\S+)/);
    running.push(bare);
    const bareLeaf = await startProc(['-e', BARE_HTTP, Buffer.from(head).toString('base64'), 'leaf'], /bare listening on (\S+)/);
    running.push(bareLeaf);
    const fastifyMain = fileURLToPath(new URL('../node_modules/fastify/fastify.js', import.meta.url));
    const bareFastify = await startProc(['-e', BARE_FASTIFY_LOG, fastifyMain, Buffer.from(head).toString('base64')], /fastify listening on (\S+)/);
    running.push(bareFastify);
    // Alternating rounds, median of each: whichever runs first right after a load
    // would be penalised, and on this shared 2-core machine one run in several
    // is much faster or slower than the rest.
    const runs = { resend: [] as number[], gth: [] as number[], bare: [] as number[], barePost: [] as number[], bareLeaf: [] as number[], fastifyGet: [] as number[], fastifyPost: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.resend.push(requestsPerSec(await runWrk(log.url, SECONDS, script).output));
      runs.gth.push(requestsPerSec(await runWrk(log.url + 'get-tree-head', SECONDS).output));
      runs.bare.push(requestsPerSec(await runWrk(bare.url, SECONDS).output));
      runs.barePost.push(requestsPerSec(await runWrk(bare.url, SECONDS, script).output));
      runs.bareLeaf.push(requestsPerSec(await runWrk(bareLeaf.url, SECONDS, script).output));
      runs.fastifyGet.push(requestsPerSec(await runWrk(bareFastify.url + 'get-tree-head', SECONDS).output));
      runs.fastifyPost.push(requestsPerSec(await runWrk(bareFastify.url, SECONDS, script).output));
    }
    const medians = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, quantile(v, 0.5)])) as Record<keyof typeof runs, number>;
    // Each round's ratio compares two runs made back to back, so load that
    // comes and goes on the machine (the rounds below differ up to 2×) moves
    // both sides; the median of those ratios is the headline figure.
    const paired = (a: keyof typeof runs, b: keyof typeof runs): number => quantile(runs[a].map((x, i) => x / runs[b][i]!), 0.5);
    const perRound = (a: keyof typeof runs, b: keyof typeof runs): string => runs[a].map((x, i) => fmt(x / runs[b][i]!, 2)).join(' / ');
    console.log(`\nanswers/s in each of ${ROUNDS} alternating rounds (each round: the seven runs in this order, back to back):`);
    for (const [k, v] of Object.entries(runs)) console.log(`   ${k.padEnd(11)} ${v.map((x) => fmt(x)).join(' / ')}`);
    console.log(`   ratios per round: resend/gth ${perRound('resend', 'gth')}; gth/bare ${perRound('gth', 'bare')}`);
    const { resend, gth } = medians;
    console.log(
      `3. re-sends / get-tree-head, median of the per-round ratios: ${fmt(paired('resend', 'gth'), 2)}× (target ≥ 0.8×) | medians: re-send of ${fmt(N)} stored leaves (200 each) ${fmt(resend)} answers/s, get-tree-head ${fmt(gth)} answers/s = ${fmt(resend / gth, 2)}×\n` +
        `   floor, same run: bare node:http reading the same bodies and answering 200 vs its GET of the same head ${fmt(paired('barePost', 'bare'), 2)}× (medians ${fmt(medians.barePost)}/s, ${fmt(medians.bare)}/s); ` +
        `our re-sends are ${fmt(resend / medians.barePost, 2)}× the bare node:http POST\n` +
        `   the least a re-send needs, same run: bare node:http also taking each body's leaf hash (three SHA-256) and finding it in a Set ${fmt(medians.bareLeaf)}/s = ` +
        `${fmt(paired('bareLeaf', 'bare'), 2)}× its GET; our re-sends are ${fmt(paired('resend', 'bareLeaf'), 2)}× it\n` +
        `   bare Fastify, same run: POST ${fmt(medians.fastifyPost)}/s vs its GET ${fmt(medians.fastifyGet)}/s = ${fmt(paired('fastifyPost', 'fastifyGet'), 2)}×; our re-sends are ${fmt(resend / medians.fastifyPost, 2)}× its POST`,
    );
    console.log(
      `4. get-tree-head / bare node:http answering the same ${head.length} bytes, median of the per-round ratios: ${fmt(paired('gth', 'bare'), 2)}× (target ≥ 0.8×) | medians ${fmt(gth)} and ${fmt(medians.bare)} answers/s = ${fmt(gth / medians.bare, 2)}×\n` +
        `   framework floor, same run: bare Fastify, same bytes ${fmt(medians.fastifyGet)}/s = ${fmt(medians.fastifyGet / medians.bare, 2)}× bare node:http; our get-tree-head is ${fmt(gth / medians.fastifyGet, 2)}× the bare Fastify`,
    );
  } finally {
    await Promise.all(running.map((p) => p.stop()));
  }
}

async function main(): Promise<void> {
  needWrk();
  if (ONLY !== undefined && ONLY !== 'memory' && ONLY !== 'http') throw new Error(`LOG_WRITE_ONLY=${ONLY}: only "memory" and "http" are known`);
  console.log(`log-write.bench: N = ${fmt(N)} leaves, ${CONNECTIONS} connections (wrk -t2), ${CORES} cores, durable SQLite, default configuration + one witness`);
  console.log('note: the machine may be shared with other work while this runs; compare ratios, not absolute figures');
  const dir = mkdtempSync(join(tmpdir(), 'log-write-bench-'));
  const running: Proc[] = [];
  try {
    if (ONLY === 'memory') {
      await memory(dir, running);
      return;
    }
    /** wrk's first request → the first cosigned head covering N leaves, on a new log; the log keeps running. */
    const ingest = async (
      name: string,
      extra: Record<string, unknown> = {},
      lua = script,
    ): Promise<{ log: Proc; witness: Proc; seconds: number; acceptedSeconds: number; cpu: number; freshRss: number }> => {
      const { config, witness } = await initWitnessedLog(join(dir, name), extra);
      running.push(witness);
      const log = await startLog(config);
      running.push(log);
      const freshRss = log.rssMiB();
      const cpu0 = log.cpuSeconds();
      const internalUrl = /"internalUrl":"([^"]+)"/.exec(log.match[0])?.[1];
      if (internalUrl === undefined) throw new Error(`no internal listener in: ${log.match[0]}`);
      const wrk = runWrk(log.url, 300, lua);
      const t0 = await firstAddLeafAt(internalUrl);
      let doneAt = 0;
      let seen = { size: -1, at: t0 };
      // When every leaf was accepted (integrated or queued, from /health), which no publication tick rounds up.
      let acceptedAt = 0;
      const accepted = (async () => {
        while (acceptedAt === 0 && doneAt === 0) {
          const h = await getText(internalUrl + 'health');
          const n = Number(/^tree_size=(\d+)$/m.exec(h)?.[1] ?? 0) + Number(/^pending=(\d+)$/m.exec(h)?.[1] ?? 0);
          if (n >= N) acceptedAt = performance.now();
          else await new Promise((r) => setTimeout(r, 20));
        }
      })();
      for (;;) {
        const head = await getText(log.url + 'get-tree-head');
        const size = Number(/^size=(\d+)$/m.exec(head)?.[1] ?? '0');
        if (size >= N && /^cosignature=/m.test(head)) {
          doneAt = performance.now();
          break;
        }
        if (size !== seen.size) seen = { size, at: performance.now() };
        if (performance.now() - seen.at > 20_000) throw new Error(`the published head stayed at size ${size} for 20 s, short of ${N} leaves`);
        if (performance.now() - t0 > 295_000) throw new Error(`no cosigned head covering ${N} leaves after 295 s (size ${size})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      wrk.proc.kill('SIGINT');
      await wrk.output;
      await accepted;
      return { log, witness, seconds: (doneAt - t0) / 1000, acceptedSeconds: ((acceptedAt || doneAt) - t0) / 1000, cpu: log.cpuSeconds() - cpu0, freshRss };
    };

    const bodies = makeBodies(N);
    const data = join(dir, 'bodies.txt');
    writeFileSync(data, bodies.join(''));
    const script = luaScript(dir, '/add-leaf', data);
    const onceScript = luaScript(dir, '/add-leaf', data, true);
    if (ONLY === 'http') {
      // Items 3 and 4 alone: one ingestion fills the log, then the rounds.
      const { log } = await ingest('default');
      await throughput(log, script);
      await log.stop();
      return;
    }
    const verifies = verifyRate();
    const ceiling = verifies * CORES;
    console.log(`\nbaseline: node:crypto Ed25519 ${fmt(verifies)} verifications/s on one thread (${fmt(1e6 / verifies, 1)} µs each); ceiling × ${CORES} cores = ${fmt(ceiling)} leaves/s`);

    // The floor of 1 and 2, same run: HTTP and verification alone, every core, wrk on the same cores.
    const bareVerify = await startProc(['-e', BARE_VERIFY, String(CORES)], /bare-verify listening on (\S+) pids (\S+)/);
    running.push(bareVerify);
    const workerPids = bareVerify.match[2]!.split(',').map(Number);
    const clusterCpu = (): number => workerPids.reduce((sum, pid) => sum + procFigures(pid).cpuSeconds(), bareVerify.cpuSeconds());
    const floorCpu0 = clusterCpu();
    const floorOut = await runWrk(bareVerify.url, SECONDS, script).output;
    const floorCpuPerLeafUs = ((clusterCpu() - floorCpu0) / totalRequests(floorOut)) * 1e6;
    const floorRate = requestsPerSec(floorOut);
    for (const pid of workerPids) process.kill(pid, 'SIGTERM');
    await bareVerify.stop();
    console.log(
      `floor of 1 and 2, same run: no log, ${CORES} node:http processes that only parse, verify (node:crypto) and answer 202: ${fmt(floorRate)} leaves/s = ${fmt(floorRate / ceiling, 2)}× the ceiling; ` +
        `CPU ${fmt(floorCpuPerLeafUs, 1)} µs per leaf = ${fmt(floorCpuPerLeafUs / (1e6 / verifies), 2)}× a verification`,
    );

    // Same run, signatures on the main thread (verifyWorkers 0), for comparison.
    const mainOnly = await ingest('main-thread', { verifyWorkers: 0 });
    await mainOnly.log.stop();
    await mainOnly.witness.stop();

    // 2 without wrk's re-sends: each body sent once (the floor's CPU is per request, each a new leaf).
    const once = await ingest('once', {}, onceScript);
    await once.log.stop();
    await once.witness.stop();

    // 1 + 2: ingestion with the default configuration.
    const { log, seconds, acceptedSeconds, cpu, freshRss } = await ingest('default');
    const ingest1 = N / seconds;
    const ingest0 = N / mainOnly.seconds;
    console.log(`\n1. ingestion, first request → cosigned head covering ${fmt(N)} leaves: ${fmt(seconds, 2)} s = ${fmt(ingest1)} leaves/s | baseline Ed25519 ceiling ${fmt(ceiling)} leaves/s | ratio ${fmt(ingest1 / ceiling, 2)}× (target ≥ 0.5×)`);
    console.log(`   = ${fmt(ingest1 / floorRate, 2)}× the floor's answer rate (which has no storage, tree, witness or publication interval)`);
    const acceptRate = N / acceptedSeconds;
    console.log(
      `   all ${fmt(N)} accepted (integrated or queued) after ${fmt(acceptedSeconds, 2)} s = ${fmt(acceptRate)} leaves/s = ${fmt(acceptRate / ceiling, 2)}× the ceiling, ${fmt(acceptRate / floorRate, 2)}× the floor's answer rate; ` +
        `each body sent once: ${fmt(once.acceptedSeconds, 2)} s = ${fmt(N / once.acceptedSeconds / ceiling, 2)}× (the head covering them comes at the next publication tick)`,
    );
    console.log(`   same run with verifyWorkers 0 (signatures on the main thread): ${fmt(mainOnly.seconds, 2)} s = ${fmt(ingest0)} leaves/s = ${fmt(ingest0 / ceiling, 2)}× the ceiling; the default is ${fmt(ingest1 / ingest0, 2)}× that`);
    const perLeafUs = (cpu / N) * 1e6;
    const perLeaf0 = (mainOnly.cpu / N) * 1e6;
    console.log(`2. server CPU per leaf (whole ingestion, re-sends included; all threads): ${fmt(perLeafUs, 1)} µs | baseline one verification ${fmt(1e6 / verifies, 1)} µs | ratio ${fmt(perLeafUs / (1e6 / verifies), 2)}× (target ≤ 1.6×); verifyWorkers 0: ${fmt(perLeaf0, 1)} µs = ${fmt(perLeaf0 / (1e6 / verifies), 2)}×; floor ${fmt(floorCpuPerLeafUs / (1e6 / verifies), 2)}×`);
    const perLeafOnce = (once.cpu / N) * 1e6;
    console.log(
      `   each leaf sent once (wrk stops after its share; first request → cosigned head, ${fmt(once.seconds, 2)} s): ${fmt(perLeafOnce, 1)} µs = ${fmt(perLeafOnce / (1e6 / verifies), 2)}× a verification ` +
        `(target ≤ 1.6×; the floor's ${fmt(floorCpuPerLeafUs / (1e6 / verifies), 2)}× is per request, each a new leaf)`,
    );

    await throughput(log, script);
    const afterRss = log.rssMiB();
    await log.stop();

    // 5: memory.
    await memory(dir, running, { fresh: freshRss, fresh0: mainOnly.freshRss, after: afterRss });
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
