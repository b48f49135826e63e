// The benchmarks of `npm run bench` that drive the real `sigsum-log`,
// `sigsum` and witness processes, each run to completion at a small size:
// a change to those commands' contract must not leave a benchmark broken
// unseen (bench/log.bench.ts failed for a day after logs stopped creating
// their database outside `init`). The figures themselves are not checked
// here; docs/benchmarks.md records full runs. Needs the build (the test
// command builds first) and the system tools of scripts/install-system-deps.sh
// (wrk, nginx, SoftHSM).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(root, 'node_modules', '.bin', 'tsx');

/** Run one benchmark with `env`; resolves with its exit code and output. */
function runBench(file: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [join('bench', file)], { cwd: root, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, out: stdout + stderr });
    });
  });
}

/** Each benchmark, the size that keeps it short, and a line of its report that only a complete run prints. */
const BENCHES: { file: string; env: Record<string, string>; last: RegExp }[] = [
  { file: 'log.bench.ts', env: { LOG_BENCH_SMALL: '2000', LOG_BENCH_LARGE: '4000' }, last: /^RSS 2,000 leaves: [\d.]+ MiB; 4,000 leaves: [\d.]+ MiB \| ratio [\d.]+×/m },
  {
    file: 'log-write.bench.ts',
    env: { LOG_WRITE_N: '2000', LOG_WRITE_LARGE: '5000', LOG_WRITE_SECONDS: '1', LOG_WRITE_ROUNDS: '1' },
    last: /^ {3}with --max-semi-space-size=2 on both: fresh primary [\d.]+ MiB, bare Fastify [\d.]+ MiB/m,
  },
  { file: 'replication.bench.ts', env: { REPL_BENCH_LEAVES: '100' }, last: /^ {2}replication lag under load: p50 \d+ leaves, max \d+ leaves/m },
  { file: 'submit.bench.ts', env: { BENCH_N: '40' }, last: /^ {2}ratio client CPU per proof vs per add-leaf +[\d.]+x of baseline/m },
  { file: 'tiles.bench.ts', env: { TILES_BENCH_LEAVES: '5000', TILES_BENCH_WRK_SECONDS: '1' }, last: /^inclusion proof: warm tiles [\d.,]+ µs vs get-inclusion-proof round trip/m },
  { file: 'witness.bench.ts', env: {}, last: /^ {2}ratio cosigning round vs one HTTP add-checkpoint +[\d.]+x of baseline/m },
  { file: 'pkcs11.bench.ts', env: {}, last: /^ {2}ratio both in SoftHSM vs file keys +[\d.]+x of baseline/m },
  { file: 'operations.bench.ts', env: { BENCH_SECONDS: '0.2' }, last: /^counted leaves held in memory: \d+/m },
];

describe('npm run bench: the benchmarks that run our processes complete', () => {
  for (const b of BENCHES) {
    it(`${b.file} runs to its last figure and exits 0`, async () => {
      const { code, out } = await runBench(b.file, b.env, 170_000);
      expect(out).toMatch(b.last);
      expect(code, out.slice(-2000)).toBe(0);
    }, 180_000);
  }
});
