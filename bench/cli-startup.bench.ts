/**
 * Start-up of the `sigsum` command: wall time from spawn to exit of every
 * subcommand, as the package's bin (sdk/bin/sigsum.cjs, which runs the
 * bundle in sdk/dist/bin/ with V8's code cache), as the same bin without the
 * code cache (SIGSUM_NO_COMPILE_CACHE=1: a first run, or no cache directory)
 * and as the modular tsc output (sdk/dist/cli/main.js), against a bare
 * `node -e 0` measured in the same rounds (target: ≤ 1.3× for verify, key and
 * policy). Commands that need input get real files: a valid proof to verify,
 * a key to convert. The code cache lives in a temporary XDG_CACHE_HOME made
 * by the first (warm-up) round. Rounds alternate the commands so that load on
 * the shared machine hits all alike; each figure is the median.
 *
 * Needs `npm run build` first. Run: npx tsx bench/cli-startup.bench.ts
 *
 * On a loaded machine wall time says little; `COUNT=instructions` instead
 * counts the user-space instructions of each command once under valgrind
 * (cachegrind, all threads), against `node -e 0` counted the same way: a
 * deterministic proxy for CPU work that load does not change (it leaves out
 * kernel time and waiting).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatOpenSshPublicKey, serializeProof } from '@sigsum-kit/sdk';
import { makeProof } from '../sdk/test/fixtures/make-proof.js';

const ROUNDS = Number(process.env.ROUNDS ?? 25);
const BIN = resolve(import.meta.dirname, '../sdk/bin/sigsum.cjs');
const MODULAR = resolve(import.meta.dirname, '../sdk/dist/cli/main.js');
const TARGET = 1.3;

const dir = mkdtempSync(join(tmpdir(), 'sigsum-startup-bench-'));
const CACHED = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
const UNCACHED = { ...CACHED, SIGSUM_NO_COMPILE_CACHE: '1' };
const f = await makeProof({ size: 1024, index: 777, witnessCount: 3, threshold: 2, label: 'startup-bench' });
writeFileSync(join(dir, 'data'), f.data);
writeFileSync(join(dir, 'data.proof'), serializeProof(f.proof));
writeFileSync(join(dir, 'policy'), f.policyText);
writeFileSync(join(dir, 'submitter.pub'), formatOpenSshPublicKey(f.submitter.publicKey));

interface Case {
  name: string;
  args: string[];
  input?: Uint8Array;
  /** Held to the start-up target (offline commands). */
  target: boolean;
}

const CASES: Case[] = [
  { name: 'verify (a valid proof, 3 cosignatures)', args: ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], input: f.data, target: true },
  { name: 'key to-hex', args: ['key', 'to-hex', '-k', 'submitter.pub'], target: true },
  { name: 'policy list', args: ['policy', 'list'], target: true },
  { name: 'token --help', args: ['token', '--help'], target: false },
  { name: 'submit --help', args: ['submit', '--help'], target: false },
  { name: 'monitor --help', args: ['monitor', '--help'], target: false },
  { name: '--help (loads every subcommand)', args: ['--help'], target: false },
];

function wall(args: string[], input?: Uint8Array, env = CACHED): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: dir, input, env, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** User-space instructions of one run under valgrind (all threads), in millions. */
function instructions(args: string[], input?: Uint8Array, env = CACHED): number {
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, ...args], {
    cwd: dir,
    input,
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || m === null) throw new Error(`valgrind ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(m[1]!.replaceAll(',', '')) / 1e6;
}

if (process.env.COUNT === 'instructions') {
  const node = instructions(['-e', '0']);
  console.log('sigsum start-up, user-space instructions under valgrind (one run each; deterministic, load-independent)');
  console.log(`  baseline: node -e 0                               ${node.toFixed(0).padStart(6)} M`);
  for (const c of CASES) {
    wall([BIN, ...c.args], c.input); // makes the code cache
    const b = instructions([BIN, ...c.args], c.input);
    const u = instructions([BIN, ...c.args], c.input, UNCACHED);
    const verdict = c.target ? ` (target <= ${TARGET}x)` : '';
    console.log(`  ${c.name.padEnd(46)} bin ${b.toFixed(0).padStart(6)} M = ${(b / node).toFixed(2)}x${verdict}; no code cache ${u.toFixed(0)} M = ${(u / node).toFixed(2)}x`);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const samples = new Map<string, number[]>();
const add = (k: string, v: number) => samples.set(k, [...(samples.get(k) ?? []), v]);
for (let round = -2; round < ROUNDS; round++) {
  const warm = round < 0;
  const base = wall(['-e', '0']);
  if (!warm) add('node -e 0', base);
  for (const c of CASES) {
    const b = wall([BIN, ...c.args], c.input);
    const u = wall([BIN, ...c.args], c.input, UNCACHED);
    const m = wall([MODULAR, ...c.args], c.input);
    if (!warm) {
      add(`bin ${c.name}`, b);
      add(`uncached ${c.name}`, u);
      add(`modular ${c.name}`, m);
    }
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const node = median(samples.get('node -e 0')!);
console.log(`sigsum start-up, wall time from spawn to exit, median of ${ROUNDS} alternating rounds`);
console.log(`  baseline: node -e 0                               ${node.toFixed(1).padStart(6)} ms`);
for (const c of CASES) {
  const b = median(samples.get(`bin ${c.name}`)!);
  const u = median(samples.get(`uncached ${c.name}`)!);
  const m = median(samples.get(`modular ${c.name}`)!);
  const verdict = c.target ? ` (target <= ${TARGET}x: ${b / node <= TARGET ? 'met' : 'NOT met'})` : '';
  console.log(
    `  ${c.name.padEnd(46)} bin ${b.toFixed(1).padStart(6)} ms = ${(b / node).toFixed(2)}x${verdict}; ` +
      `no code cache ${u.toFixed(1)} ms = ${(u / node).toFixed(2)}x; modular dist/cli ${m.toFixed(1)} ms = ${(m / node).toFixed(2)}x`,
  );
}
