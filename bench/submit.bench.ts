/**
 * Batch submit throughput against the local reference log (a separate
 * `sigsum-log primary` process, SQLite, default 1 s publish interval):
 * - proofs/s for 1,000 messages with `submitMessages` (sign, add-leaf until
 *   200, shared tree-head polling, inclusion proof, full `verifyProof` of
 *   every proof), and the client CPU time per proof;
 * - baseline, same run: 1,000 bare add-leaf requests (sign + POST, same
 *   concurrency, no proof collection) — the least a client can do per leaf.
 * Run: npx tsx bench/submit.bench.ts   (after `npx tsc -b`; BENCH_N to change 1000)
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LogClient, SeedSigner, makeAddLeafRequest, parsePolicy, parseOpenSshPublicKey, sha256, submitMessages, toHex, utf8 } from '../sdk/src/index.js';

const N = Number(process.env.BENCH_N ?? '1000');
const CONCURRENCY = 32;
const LOG_CLI = resolve(import.meta.dirname, '../reference-log/dist/cli/main.js');

async function startLog(dir: string): Promise<{ url: string; stop: () => void; publicKey: Uint8Array }> {
  execFileSync(process.execPath, [LOG_CLI, 'init', '--dir', dir], { stdio: 'ignore' });
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  // 1 s between tree heads, as before the production default became log-go's 10 s.
  Object.assign(cfg, { listen: '127.0.0.1:0', internalListen: '', intervalMs: 1000 });
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const proc = spawn(process.execPath, [LOG_CLI, 'primary', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => {
      proc.kill('SIGTERM');
      rej(new Error(`log did not start: ${out}`));
    }, 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m && out.includes('log started')) {
        clearTimeout(t);
        res(m[1]!);
      }
    });
  });
  const publicKey = parseOpenSshPublicKey(readFileSync(join(dir, 'log.key.pub'), 'utf8').trim()).publicKey;
  return { url, publicKey, stop: () => proc.kill('SIGTERM') };
}

async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) await fn(next++);
  }));
}

const dir = mkdtempSync(join(tmpdir(), 'submit-bench-'));
const log = await startLog(join(dir, 'log'));
try {
  const policy = parsePolicy(`log ${toHex(log.publicKey)} ${log.url}\nquorum none\n`);
  const signer = SeedSigner.generate();
  console.log(`submit: ${N} messages, concurrency ${CONCURRENCY}, reference log as a separate process (SQLite, 1 s publish interval)`);

  // Baseline: bare add-leaf (sign + POST), no waiting for proofs.
  const client = new LogClient({ url: log.url });
  const base = mkMessages('baseline');
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  await pool(N, CONCURRENCY, async (i) => {
    await client.addLeaf(await makeAddLeafRequest(signer, base[i]!));
  });
  let wall = (performance.now() - t0) / 1000;
  let cpu = process.cpuUsage(cpu0);
  const baseRate = N / wall;
  const baseCpu = (cpu.user + cpu.system) / 1000 / N;
  console.log(`  baseline: bare add-leaf requests            ${baseRate.toFixed(0).padStart(8)} /s   client CPU ${baseCpu.toFixed(3)} ms/leaf`);

  // Ours: complete, verified proofs.
  const msgs = mkMessages('submit');
  cpu0 = process.cpuUsage();
  t0 = performance.now();
  const proofs = await submitMessages(signer, msgs, { policy, concurrency: CONCURRENCY, pollDelayMs: 250 });
  wall = (performance.now() - t0) / 1000;
  cpu = process.cpuUsage(cpu0);
  if (proofs.length !== N) throw new Error('missing proofs');
  const rate = N / wall;
  const cpuPerProof = (cpu.user + cpu.system) / 1000 / N;
  console.log(`  submitMessages: verified proofs             ${rate.toFixed(0).padStart(8)} /s   client CPU ${cpuPerProof.toFixed(3)} ms/proof   (wall ${wall.toFixed(2)} s)`);
  console.log(`  ratio proofs/s vs bare add-leaf/s            ${(rate / baseRate).toFixed(2)}x of baseline`);
  console.log(`  ratio client CPU per proof vs per add-leaf   ${(cpuPerProof / baseCpu).toFixed(2)}x of baseline`);
} finally {
  log.stop();
  rmSync(dir, { recursive: true, force: true });
}

function mkMessages(tag: string): Uint8Array[] {
  const nonce = Math.random().toString(36).slice(2);
  return Array.from({ length: N }, (_, i) => sha256(utf8(`${tag} ${nonce} ${i}`)));
}
