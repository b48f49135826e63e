/**
 * The bounded CI version of `npm run stress` (bench/stress.ts, docs/stress.md):
 * a ~12-second load against real processes (primary on SQLite, secondary,
 * two witnesses on 127.0.0.1) with one planted failure the checker must
 * find, plus the memory rule and the command line.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runToExit, tempDir } from './log-helpers.js';
import { memoryTrend, parseStressArgs, quantile, runStress, DEFAULT_STRESS_OPTIONS, UsageError } from '../../bench/stress.js';

const STRESS = fileURLToPath(new URL('../../bench/stress.ts', import.meta.url));

describe('stress: memory rule', () => {
  const flat = Array.from({ length: 40 }, (_, i) => 100 + (i % 3));
  it('judges a flat series stable', () => {
    expect(memoryTrend(flat, 25, 32)).toEqual({ verdict: 'stable', samples: 30, firstMiB: 101, lastMiB: 101 });
  });
  it('ignores the warm-up quarter', () => {
    // Judged from the start this would be growing (medians 30 → 101 MiB).
    const warm = [...Array.from({ length: 10 }, (_, i) => i * 5), ...flat.slice(10)];
    expect(memoryTrend(warm, 25, 32).verdict).toBe('stable');
  });
  it('finds steady growth above both thresholds', () => {
    const growing = Array.from({ length: 40 }, (_, i) => 100 + i * 4);
    expect(memoryTrend(growing, 25, 32)).toEqual({ verdict: 'growing', samples: 30, firstMiB: 156, lastMiB: 236 });
  });
  it('needs the absolute threshold too', () => {
    // +40 % but only +14 MiB: small processes do not fail on a few MiB.
    const small = Array.from({ length: 40 }, (_, i) => 40 + i * 0.7);
    const v = memoryTrend(small, 25, 32);
    expect(v.lastMiB / v.firstMiB).toBeGreaterThan(1.25);
    expect(v.verdict).toBe('stable');
  });
  it('needs the relative threshold too', () => {
    const big = Array.from({ length: 40 }, (_, i) => 1000 + i * 2);
    expect(memoryTrend(big, 25, 32).verdict).toBe('stable');
  });
  it('is not moved by one spike', () => {
    const spike = flat.map((m, i) => (i === 38 ? 900 : m));
    expect(memoryTrend(spike, 25, 32).verdict).toBe('stable');
  });
  it('says when there are too few samples to judge', () => {
    expect(memoryTrend([100, 200, 300, 400, 500, 600], 25, 32)).toEqual({ verdict: 'insufficient', samples: 5, firstMiB: NaN, lastMiB: NaN });
  });
  it('computes nearest-rank quantiles', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('stress: command line', () => {
  it('has defaults and reads every option', () => {
    expect(parseStressArgs([]).options).toEqual({ ...DEFAULT_STRESS_OPTIONS });
    const { options, json } = parseStressArgs(['--duration', '600', '--count', '5', '--concurrency', '3', '--readers', '0', '--seed', '7', '--interval-ms', '500', '--sample-ms', '250', '--mem-growth-pct', '10', '--mem-growth-mib', '8', '--json', 'out.json', '--plant', 'missing-leaf']);
    expect(options).toMatchObject({ durationSec: 600, count: 5, concurrency: 3, readers: 0, seed: 7, intervalMs: 500, sampleMs: 250, memGrowthPct: 10, memGrowthMiB: 8, plant: 'missing-leaf' });
    expect(json).toMatch(/\/out\.json$/);
  });
  it.each([
    [['--duration', '0'], '--duration: expected an integer in 1..86400, got "0"'],
    [['--count', '1e3'], '--count: expected an integer in 1..100000000, got "1e3"'],
    [['--concurrency', '-1'], '--concurrency: expected an integer in 1..1024, got "-1"'],
    [['--sample-ms', '99'], '--sample-ms: expected an integer in 100..600000, got "99"'],
    [['--readers'], '--readers: missing value'],
    [['--plant', 'fork'], '--plant: the only planted failure is "missing-leaf", got "fork"'],
    [['--fast', '1'], 'unknown option "--fast"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseStressArgs(argv)).toThrow(UsageError);
    expect(() => parseStressArgs(argv)).toThrow(message);
  });
  it('prints the usage for --help and exits 0', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', STRESS, '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run stress -- \[--duration S\] \[--count N\]/);
    expect(r.stderr).toBe('');
  });
  it('exits 2 with the message on a bad option', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', STRESS, '--duration', 'ten'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('--duration: expected an integer in 1..86400, got "ten"\n');
    expect(r.stdout).toBe('');
  });
});

describe('stress: a bounded run against the real stack', () => {
  it('checks every answer and the final tree, and reports exactly the planted missing leaf', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const r = await runStress({ durationSec: 12, count: 20_000, concurrency: 6, readers: 2, seed: 3, intervalMs: 500, sampleMs: 500, plant: 'missing-leaf', onLine: (l) => lines.push(l) });

    // The planted leaf is the one failure: every real answer passed the strict checks.
    expect(r.planted).toMatch(/^[0-9a-f]{64}$/);
    expect(r.failures).toEqual({ 'final: acknowledged leaf missing from the tree': { count: 1, examples: [r.planted] } });
    expect(r.passed).toBe(false);

    // Load happened, of every kind, and every acknowledged leaf was found.
    expect(r.loadSeconds).toBeGreaterThanOrEqual(12);
    expect(r.loadSeconds).toBeLessThan(30);
    expect(r.acknowledged).toBeGreaterThan(20);
    expect(r.submissions.valid).toBe(r.acknowledged);
    expect(r.submissions.duplicate).toBeGreaterThan(0);
    expect(r.outcomes['duplicate answered 200']).toBe(r.submissions.duplicate);
    const rejected = ['rejected bad-hex with 400', 'rejected bad-signature with 403', 'rejected missing-field with 400', 'rejected oversize with 413'];
    expect(rejected.reduce((n, k) => n + (r.outcomes[k] ?? 0), 0)).toBe(r.submissions.invalid);
    expect(r.submissions.invalid).toBeGreaterThan(0);
    expect(r.final.treeSize).toBe(r.acknowledged);
    expect(r.final.leavesChecked).toBe(r.final.treeSize);
    expect(r.final.secondarySize).toBeGreaterThanOrEqual(r.final.treeSize);
    for (const op of ['ack', 'add-leaf', 'get-tree-head', 'get-inclusion-proof', 'get-leaves', 'get-consistency-proof', 'get-secondary-tree-head', 'submit→published']) {
      expect(r.latency[op]?.count, op).toBeGreaterThan(0);
      expect(r.latency[op]!.p50).toBeLessThanOrEqual(r.latency[op]!.p99);
    }
    expect(r.requestsPerSecond).toBeGreaterThan(0);

    // Memory was sampled for the four processes; none is judged growing.
    expect(r.memory.map((m) => m.name)).toEqual(['witness W1', 'witness W2', 'primary', 'secondary']);
    for (const m of r.memory) {
      expect(m.samples.length).toBeGreaterThanOrEqual(20);
      expect(m.trend.verdict).not.toBe('growing');
    }
    expect(lines.some((l) => l.startsWith('load: 12 s'))).toBe(true);
  });

  it('stops at --count submissions and passes without a planted failure; `sigsum-log check` passes on both databases', { timeout: 120_000 }, async () => {
    const kept = tempDir('sigsum-stress-check-');
    let r;
    try {
      r = await runStress({ durationSec: 120, count: 40, concurrency: 4, readers: 1, seed: 9, intervalMs: 300, sampleMs: 500, keepDir: kept.dir });
      // The integrity check, as a real process, on the primary's and the secondary's databases the run left.
      const primary = runToExit(['check', '-c', join(kept.dir, 'log', 'config.json')]);
      expect(primary.stderr).toBe('');
      expect(primary.stdout).toMatch(new RegExp(`^tree_size=${r.final.treeSize}\nleaves_checked=${r.final.treeSize}\n(.*\n)*published_tree_head_file_size=${r.final.treeSize}\nresult=ok\n$`));
      expect(primary.status).toBe(0);
      const secondary = runToExit(['check', '--database', join(kept.dir, 'secondary', 'data', 'log.sqlite')]);
      expect(secondary.stdout).toMatch(/\nresult=ok\n$/);
      expect(secondary.status).toBe(0);
    } finally {
      kept.cleanup();
    }
    expect(r.failures).toEqual({});
    expect(r.passed).toBe(true);
    expect(r.planted).toBeUndefined();
    expect(r.submissions.valid + r.submissions.duplicate + r.submissions.invalid).toBe(40);
    expect(r.loadSeconds).toBeLessThan(60);
    expect(r.final.treeSize).toBe(r.acknowledged);
    expect(r.acknowledged).toBe(r.submissions.valid);
  });
});
