// Profile the log under wrk: ingestion of N bodies, then re-sends, each in its own process run.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedSigner, toHex } from '@sigsum-kit/sdk';
const CLI = '/work/wt/s13log/reference-log/dist/cli/main.js';
const N = Number(process.env.N ?? 20000);
const MODE = process.argv[2] ?? 'resend';
const WORKERS = process.env.W;
const sha = (...p: (string | Uint8Array)[]) => { const h = createHash('sha256'); for (const x of p) h.update(x); return h.digest(); };
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const dir = mkdtempSync(join(tmpdir(), 's13prof-'));
const keys = Array.from({ length: 16 }, (_, k) => { const seed = sha(`k${k}`); return { priv: createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' }), pub: toHex(new SeedSigner(seed).publicKey) }; });
const ns = Buffer.from('sigsum.org/v1/tree-leaf\0');
const bodies: string[] = [];
for (let i = 0; i < N; i++) { const k = keys[i % 16]!; const m = sha(`p ${i}`); bodies.push(`message=${m.toString('hex')}\nsignature=${nodeSign(null, Buffer.concat([ns, sha(m)]), k.priv).toString('hex')}\npublic_key=${k.pub}\n`); }
writeFileSync(join(dir, 'bodies.txt'), bodies.join(''));
writeFileSync(join(dir, 'b.lua'), `local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) bodies = {} local lines = {} for line in io.lines("${dir}/bodies.txt") do table.insert(lines, line) if #lines == 3 then table.insert(bodies, table.concat(lines, "\\n") .. "\\n"); lines = {} end end n = #bodies i = id * math.floor(n / 2) end
function request() i = i % n + 1; return wrk.format("POST", "/add-leaf", {["Content-Type"] = "text/plain"}, bodies[i]) end
`);
spawnSync(process.execPath, [CLI, 'init', '--dir', join(dir, 'log')]);
const cfg = join(dir, 'log', 'config.json');
const c = JSON.parse(readFileSync(cfg, 'utf8'));
writeFileSync(cfg, JSON.stringify({ ...c, listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', intervalMs: 1000, ...(WORKERS === undefined ? {} : { verifyWorkers: Number(WORKERS) }) }));
const start = (prof: boolean) => new Promise<{ url: string; p: ReturnType<typeof spawn> }>((res) => {
  const p = spawn(process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=/tmp/s13prof-${MODE}`] : []), CLI, 'primary', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (b) => { out += b; const m = /"url":"([^"]+)"[^\n]*"msg":"log started"/.exec(out); if (m) res({ url: m[1]!, p }); });
});
const wrk = (url: string, secs: number) => spawnSync('wrk', ['-t2', '-c64', `-d${secs}s`, '-s', join(dir, 'b.lua'), url], { encoding: 'utf8' }).stdout;
const waitSize = async (url: string) => { for (;;) { const t = await (await fetch(url + 'get-tree-head')).text(); if (Number(/size=(\d+)/.exec(t)![1]) >= N) return; await new Promise((r) => setTimeout(r, 100)); } };
if (MODE === 'resend') {
  const a = await start(false);
  console.log(wrk(a.url, Math.ceil(N / 500)));
  await waitSize(a.url); a.p.kill('SIGTERM'); await new Promise((r) => a.p.on('exit', r));
  const b = await start(true);
  console.log(wrk(b.url, 6));
  b.p.kill('SIGTERM'); await new Promise((r) => b.p.on('exit', r));
} else if (MODE === 'gth') {
  const b = await start(true);
  console.log(spawnSync('wrk', ['-t2', '-c64', '-d6s', b.url + 'get-tree-head'], { encoding: 'utf8' }).stdout);
  b.p.kill('SIGTERM'); await new Promise((r) => b.p.on('exit', r));
} else {
  const b = await start(true);
  console.log(wrk(b.url, Number(process.env.SECS ?? 10)));
  b.p.kill('SIGTERM'); await new Promise((r) => b.p.on('exit', r));
}
console.log('dir', dir);
