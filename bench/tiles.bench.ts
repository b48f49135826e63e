/**
 * tlog-tiles benchmark, all figures from one run on one log:
 *
 *  1. Export cost: a one-shot `exportTiles` of the whole log, then the cost
 *     per published head while the log grows (1,000 leaves per head).
 *  2. Server capacity for reading the whole log, no JavaScript on the client
 *     side: wrk (C) cycling through every full entry bundle path on nginx
 *     serving the export vs through every get-leaves range of 512 on the log
 *     process; leaves/s = answers/s × leaves per answer (256 vs 512).
 *  3. Reading the whole log with verification in the SDK: entry bundles from
 *     nginx (TilesClient: every bundle checked against the checkpoint's root)
 *     vs get-leaves from the log process (LogClient, 512 per request, 8 in
 *     flight, every leaf hashed into a compact range whose root is checked
 *     against the tree head). Leaves/s and the ratio.
 *  4. Inclusion proof: from warm tiles in the client vs get-inclusion-proof
 *     round trips to the log process.
 *
 * Run: npx tsx bench/tiles.bench.ts
 *   TILES_BENCH_LEAVES (default 1,000,000), TILES_BENCH_WRK_SECONDS (default 20 per server),
 *   TILES_BENCH_WRK_CONNECTIONS (default 32).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompactRange, LogClient, TILE_WIDTH, TilesClient, formatTilePath, leafHashOf, parsePolicy, toHex } from '@sigsum-kit/sdk';
import { exportTiles } from '@sigsum-kit/reference-log';
import { startNginx } from '../reference-log/test/nginx-helpers.js';
import { appendBulkLeaves, createBulkLog } from './bulk-log.js';

const CLI = fileURLToPath(new URL('../reference-log/dist/cli/main.js', import.meta.url));
const N = Number(process.env.TILES_BENCH_LEAVES ?? 1_000_000);
const WRK_SECONDS = Number(process.env.TILES_BENCH_WRK_SECONDS ?? 20);
const WRK_CONNECTIONS = Number(process.env.TILES_BENCH_WRK_CONNECTIONS ?? 32);
const fmt = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * wrk (2 threads) for `seconds` against `base`, cycling through `paths` (each
 * thread from its own offset); answers/s. Any non-2xx answer or socket error
 * (timeouts included) fails the run.
 */
function wrkRate(dir: string, name: string, base: string, paths: string[], seconds: number): { perSec: number; transfer: string } {
  const list = join(dir, `${name}.paths`);
  writeFileSync(list, paths.map((p) => `${new URL(p, base).pathname}\n`).join(''));
  const script = join(dir, `${name}.lua`);
  writeFileSync(
    script,
    `local counter = 0\n` +
      `function setup(thread) thread:set("id", counter); counter = counter + 1 end\n` +
      `function init(args)\n  paths = {}\n  for line in io.lines("${list}") do table.insert(paths, line) end\n` +
      `  n = #paths\n  i = id * math.floor(n / 2)\nend\n` +
      `function request() i = i % n + 1; return wrk.format("GET", paths[i]) end\n`,
  );
  // A long timeout: a slow answer is still an answer (wrk's default of 2 s would count it as an error).
  const r = spawnSync('wrk', ['-t2', `-c${WRK_CONNECTIONS}`, `-d${seconds}s`, '--timeout', '60s', '-s', script, base], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (r.status !== 0 || m === null) throw new Error(`wrk failed: ${out}`);
  if (/Non-2xx or 3xx responses|Socket errors/.test(out)) throw new Error(`wrk saw errors against ${base}: ${out}`);
  return { perSec: Number(m[1]), transfer: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '?' };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tiles-bench-'));
  chmodSync(dir, 0o755);
  const out = join(dir, 'export');
  try {
    const log = await createBulkLog(dir, 'tiles bench');
    const { storage, signer } = log;
    let t = performance.now();
    await appendBulkLeaves(log, N, 'tiles bench');
    console.log(`log of ${fmt(N)} leaves loaded in ${fmt((performance.now() - t) / 1000, 1)} s`);

    // 1. Export.
    t = performance.now();
    const full = exportTiles(storage, out);
    const fullMs = performance.now() - t;
    console.log(`export, one-shot: ${fmt(full.written)} files in ${fmt(fullMs / 1000, 2)} s (${fmt((fullMs * 1000) / N, 2)} µs per leaf)`);
    const HEADS = 20;
    let exportMs = 0;
    let appendMs = 0;
    let size = N;
    for (let h = 0; h < HEADS; h++) {
      t = performance.now();
      await appendBulkLeaves(log, 1000, 'tiles bench');
      appendMs += performance.now() - t;
      size += 1000;
      t = performance.now();
      exportTiles(storage, out);
      exportMs += performance.now() - t;
    }
    console.log(
      `export per published head (+1,000 leaves): ${fmt(exportMs / HEADS, 1)} ms; ratio to storing those leaves: ${fmt(exportMs / appendMs, 2)}×`,
    );
    storage.close();

    // The log process on the same database, and nginx on the export.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ keyFile: 'log.key', listen: '127.0.0.1:0', internalListen: '', logLevel: 'info' }));
    const proc = spawn(process.execPath, [CLI, 'primary', '-c', join(dir, 'config.json'), '--trust-database'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logUrl = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (b: Buffer) => {
        buf += b.toString();
        const m = /"url":"([^"]+)"[^\n]*"msg":"log started"/.exec(buf);
        if (m) resolve(m[1]!);
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.on('exit', () => reject(new Error(`log exited: ${buf}`)));
    });
    const nginx = await startNginx(out, join(dir, 'nginx'));
    try {
      const policy = parsePolicy(`log ${toHex(signer.publicKey)}\nquorum none\n`);
      // 2. Server capacity (wrk), every full bundle vs every get-leaves range of 512.
      const bundlePaths: string[] = [];
      for (let b = 0; b < Math.floor(size / TILE_WIDTH); b++) bundlePaths.push(formatTilePath({ entries: true, level: 0, index: b, width: TILE_WIDTH }));
      const rangePaths: string[] = [];
      for (let s = 0; s + 512 <= size; s += 512) rangePaths.push(`get-leaves/${s}/${s + 512}`);
      // One answer of each, checked, so that wrk measures what a reader gets.
      const oneBundle = await fetch(nginx.url + bundlePaths[0]!);
      if (oneBundle.status !== 200 || (await oneBundle.arrayBuffer()).byteLength !== TILE_WIDTH * 130) throw new Error('nginx does not serve full bundles');
      const oneRange = await fetch(logUrl + rangePaths[0]!);
      if (oneRange.status !== 200 || (await oneRange.text()).split('\n').filter((l) => l.startsWith('leaf=')).length !== 512) throw new Error('get-leaves does not answer 512 leaves');
      if (spawnSync('wrk', ['--version']).error !== undefined) {
        console.log('wrk is not installed (scripts/install-system-deps.sh installs it): no server-capacity figures');
      } else {
        const nginxWrk = wrkRate(dir, 'bundles', nginx.url, bundlePaths, WRK_SECONDS);
        const logWrk = wrkRate(dir, 'get-leaves', logUrl, rangePaths, WRK_SECONDS);
        const nginxLeaves = nginxWrk.perSec * TILE_WIDTH;
        const logLeaves = logWrk.perSec * 512;
        console.log(
          `server capacity (wrk -t2 -c${WRK_CONNECTIONS}, ${WRK_SECONDS} s each): nginx, ${fmt(bundlePaths.length)} full entry bundles: ` +
            `${fmt(nginxWrk.perSec)} answers/s = ${fmt(nginxLeaves)} leaves/s (${nginxWrk.transfer}/s); ` +
            `log process, ${fmt(rangePaths.length)} get-leaves ranges of 512: ${fmt(logWrk.perSec, 1)} answers/s = ${fmt(logLeaves)} leaves/s (${logWrk.transfer}/s)`,
        );
        console.log(`server capacity ratio, entry bundles from nginx / get-leaves from the log: ${fmt(nginxLeaves / logLeaves, 1)}×`);
      }

      // 3. Whole log, verified in the SDK.
      const tiles = new TilesClient({ url: nginx.url, policy });
      t = performance.now();
      let cpu = process.cpuUsage();
      const cp = await tiles.checkpoint();
      let read = 0;
      // Chunks of 64 bundles, two in flight (one being verified while the next one downloads), taken in order.
      const CHUNK = 256 * 64;
      let inFlight: Promise<Uint8Array[]> | undefined;
      for (let s = 0; s < cp.size; s += CHUNK) {
        const next = cp.tree.entries(s, Math.min(cp.size, s + CHUNK));
        if (inFlight !== undefined) read += (await inFlight).length;
        inFlight = next;
      }
      if (inFlight !== undefined) read += (await inFlight).length;
      const tilesSec = (performance.now() - t) / 1000;
      const tilesCpu = process.cpuUsage(cpu);
      const tilesRate = read / tilesSec;
      console.log(
        `whole log verified, entry bundles from nginx (TilesClient): ${fmt(read)} leaves in ${fmt(tilesSec, 2)} s = ${fmt(tilesRate)} leaves/s ` +
          `(client CPU ${fmt((tilesCpu.user + tilesCpu.system) / read, 2)} µs per leaf)`,
      );

      const logClient = new LogClient({ url: logUrl });
      t = performance.now();
      cpu = process.cpuUsage();
      const th = await logClient.getTreeHead();
      const total = Number(th.size);
      const cr = new CompactRange();
      const pending = new Map<number, Promise<Uint8Array[]>>();
      const fetchFrom = (start: number) => logClient.getLeaves(BigInt(start), BigInt(Math.min(total, start + 512))).then((ls) => ls.map(leafHashOf));
      let next = 0;
      for (let k = 0; k < 8 && next < total; k++, next += 512) pending.set(next, fetchFrom(next));
      for (let s = 0; s < total; ) {
        const hashes = await pending.get(s)!;
        pending.delete(s);
        if (hashes.length !== Math.min(512, total - s)) throw new Error('short get-leaves answer');
        for (const h of hashes) cr.append(h);
        s += hashes.length;
        if (next < total) {
          pending.set(next, fetchFrom(next));
          next += 512;
        }
      }
      if (toHex(cr.root()) !== toHex(th.rootHash)) throw new Error('get-leaves root mismatch');
      const v1Sec = (performance.now() - t) / 1000;
      const v1Cpu = process.cpuUsage(cpu);
      const v1Rate = total / v1Sec;
      console.log(
        `whole log verified, get-leaves from the log (LogClient, 512/request, 8 in flight): ${fmt(total)} leaves in ${fmt(v1Sec, 2)} s = ${fmt(v1Rate)} leaves/s ` +
          `(client CPU ${fmt((v1Cpu.user + v1Cpu.system) / total, 2)} µs per leaf)`,
      );
      console.log(`verified-read ratio, entry bundles / get-leaves: ${fmt(tilesRate / v1Rate, 2)}×`);

      // 4. Inclusion proofs.
      const indices = Array.from({ length: 500 }, (_, i) => Math.floor((i * 7919 * 131) % cp.size));
      for (const i of indices) await cp.tree.inclusionProof(i); // warm
      t = performance.now();
      for (const i of indices) await cp.tree.inclusionProof(i);
      const warmUs = ((performance.now() - t) * 1000) / indices.length;
      const leafHashes = await Promise.all(indices.slice(0, 200).map((i) => cp.tree.leafHash(i)));
      t = performance.now();
      for (const h of leafHashes) await logClient.getInclusionProof(BigInt(cp.size), h);
      const rtUs = ((performance.now() - t) * 1000) / leafHashes.length;
      console.log(`inclusion proof: warm tiles ${fmt(warmUs, 1)} µs vs get-inclusion-proof round trip ${fmt(rtUs, 1)} µs (${fmt(rtUs / warmUs, 1)}× faster from tiles)`);
    } finally {
      await nginx.stop();
      proc.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
