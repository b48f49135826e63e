/**
 * Hot-standby benchmark: the real `sigsum-log` processes on 127.0.0.1 with
 * two reference witnesses (quorum: both), once as a single node and once as
 * primary + secondary, in the same run.
 *
 *  1. add-leaf throughput: leaves acknowledged (200) per second, 64 clients
 *     re-sending each leaf until 200. Baseline: the single node.
 *  2. time to a cosigned tree head: one leaf submitted, until get-tree-head
 *     covers it with both cosignatures (p50 of 10). Baseline: the single node.
 *  3. replication lag under the load of (1): primary tree size minus the
 *     secondary's, sampled every 50 ms (p50 / max, in leaves).
 *
 * Run: npx tsx bench/replication.bench.ts   (REPL_BENCH_LEAVES=3000 by default)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scripts/ports.mjs';
import { SeedSigner, parseOpenSshPublicKey, toHex } from '@sigsum-kit/sdk';

const CLI = fileURLToPath(new URL('../reference-log/dist/cli/main.js', import.meta.url));
const LEAVES = Number(process.env.REPL_BENCH_LEAVES ?? 3000);
const INTERVAL_MS = 500;

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

function makeBodies(n: number, label: string): string[] {
  const seed = sha(`replication bench submitter ${label}`);
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const pub = toHex(new SeedSigner(new Uint8Array(seed)).publicKey);
  const ns = Buffer.from('sigsum.org/v1/tree-leaf\0');
  return Array.from({ length: n }, (_, i) => {
    const message = sha(`${label} ${i}`);
    const sig = nodeSign(null, Buffer.concat([ns, createHash('sha256').update(message).digest()]), key);
    return `message=${message.toString('hex')}\nsignature=${sig.toString('hex')}\npublic_key=${pub}\n`;
  });
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function patch(path: string, o: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), ...o }));
}

const procs: ChildProcess[] = [];
function start(args: string[], ready: RegExp): Promise<void> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  return new Promise((res, rej) => {
    const on = (b: Buffer): void => {
      out += b.toString();
      if (ready.test(out)) {
        proc.stdout!.off('data', on);
        proc.stdout!.resume();
        res();
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) => rej(new Error(`${args[0]} exited (${code}): ${out}`)));
  });
}

async function post(url: string, body: string): Promise<number> {
  const r = await fetch(url, { method: 'POST', body });
  await r.arrayBuffer();
  return r.status;
}

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

const field = (t: string, k: string): number => Number(new RegExp(`^${k}=(\\d+)$`, 'm').exec(t)?.[1] ?? NaN);

async function ackThroughput(url: string, bodies: string[]): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        for (;;) {
          const s = await post(url + 'add-leaf', body);
          if (s === 200) break;
          if (s !== 202) throw new Error(`add-leaf ${s}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }),
  );
  return bodies.length / ((performance.now() - t0) / 1000);
}

async function timeToCosigned(url: string, healthUrl: string, bodies: string[]): Promise<number> {
  const times: number[] = [];
  for (const body of bodies) {
    const t0 = performance.now();
    while ((await post(url + 'add-leaf', body)) !== 200) await new Promise((r) => setTimeout(r, 5));
    // Nothing else is submitted: the integrated size now covers the leaf.
    const target = field(await text(healthUrl), 'tree_size');
    for (;;) {
      const th = await text(url + 'get-tree-head');
      if (field(th, 'size') >= target && (th.match(/^cosignature=/gm) ?? []).length === 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sigsum-repl-bench-'));
  try {
    // Two logs (single node, and primary with secondary), two witnesses cosigning both.
    cli(['init', '--dir', join(dir, 'single')]);
    cli(['init', '--dir', join(dir, 'primary')]);
    cli(['init', '--dir', join(dir, 'secondary'), '--secondary-of', join(dir, 'primary', 'log.key.pub')]);
    const keyHex = (d: string): string => toHex(parseOpenSshPublicKey(readFileSync(join(dir, d, 'log.key.pub'), 'utf8').trim()).publicKey);
    const witnesses: { url: string; key: string }[] = [];
    for (const name of ['A', 'B']) {
      cli(['init', '--dir', join(dir, `w${name}`)]);
      const port = await freePort();
      await start(['witness', '-k', join(dir, `w${name}`, 'log.key'), '--state-db', join(dir, `w${name}`, 'state.db'), '--log-key', keyHex('single'), '--log-key', keyHex('primary'), '--listen', `127.0.0.1:${port}`], /witness listening/);
      witnesses.push({ url: `http://127.0.0.1:${port}`, key: keyHex(`w${name}`) });
    }
    const policy = (log: string): string => {
      const path = join(dir, `${log}.policy`);
      writeFileSync(path, [`log ${keyHex(log)}`, ...witnesses.map((w, i) => `witness W${i} ${w.key} ${w.url}`), 'group all-w all W0 W1', 'quorum all-w', ''].join('\n'));
      return path;
    };
    const common = { intervalMs: INTERVAL_MS, witnessRequestsPerDay: Math.ceil(86_400_000 / INTERVAL_MS), witnessTimeoutMs: 2000, logLevel: 'info' };
    const [sp, si, pp, pi, ss] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    patch(join(dir, 'single', 'config.json'), { ...common, policyFile: policy('single'), listen: `127.0.0.1:${sp}`, internalListen: `127.0.0.1:${si}` });
    patch(join(dir, 'primary', 'config.json'), {
      ...common,
      policyFile: policy('primary'),
      listen: `127.0.0.1:${pp}`,
      internalListen: `127.0.0.1:${pi}`,
      secondaryUrl: `http://127.0.0.1:${ss}/`,
      secondaryPublicKey: join(dir, 'secondary', 'log.key.pub'),
    });
    patch(join(dir, 'secondary', 'config.json'), { logLevel: 'info', internalListen: `127.0.0.1:${ss}`, primaryUrl: `http://127.0.0.1:${pi}/`, replicationIntervalMs: 25 });
    const ready = /secondary started/;
    await start(['primary', '-c', join(dir, 'single', 'config.json')], /log started/);
    await start(['primary', '-c', join(dir, 'primary', 'config.json')], /log started/);
    await start(['secondary', '-c', join(dir, 'secondary', 'config.json')], ready);
    const single = `http://127.0.0.1:${sp}/`;
    const primary = `http://127.0.0.1:${pp}/`;
    // Wait for both to serve.
    for (const u of [single, primary]) while (!(await fetch(u + 'get-tree-head').then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 50));

    const singleTput = await ackThroughput(single, makeBodies(LEAVES, 'single'));
    const lags: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [p, s] = await Promise.all([text(`http://127.0.0.1:${pi}/health`), text(`http://127.0.0.1:${ss}/health`)]);
        lags.push(Math.max(0, field(p, 'tree_size') - field(s, 'tree_size')));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const replTput = await ackThroughput(primary, makeBodies(LEAVES, 'replicated'));
    sampling = false;
    await sampler;
    lags.sort((a, b) => a - b);
    const singleT = await timeToCosigned(single, `http://127.0.0.1:${si}/health`, makeBodies(10, 'single-t'));
    const replT = await timeToCosigned(primary, `http://127.0.0.1:${pi}/health`, makeBodies(10, 'replicated-t'));

    const f = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    console.log(`replication bench: ${LEAVES} leaves, 64 clients, 2 witnesses (quorum both), publish interval ${INTERVAL_MS} ms`);
    console.log(`  add-leaf acknowledged/s   single ${f(singleTput)}   with secondary ${f(replTput)}   ratio ${f(replTput / singleTput, 2)}`);
    console.log(`  time to cosigned head p50 single ${f(singleT)} ms   with secondary ${f(replT)} ms   ratio ${f(replT / singleT, 2)}`);
    console.log(`  replication lag under load: p50 ${lags[Math.floor(lags.length / 2)] ?? 0} leaves, max ${lags.at(-1) ?? 0} leaves (${lags.length} samples)`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
