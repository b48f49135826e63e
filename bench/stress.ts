/**
 * `npm run stress`: a bounded load against a local stack of real processes
 * (primary log on SQLite, its hot-standby secondary, two reference witnesses,
 * all on 127.0.0.1) with mixed valid, duplicate and invalid submissions and
 * concurrent readers. Every answer is checked with the SDK's strict parsers
 * and verifiers. Prints throughput, latency percentiles, errors by kind and
 * the RSS of each stack process over time, and exits non-zero when any
 * acknowledged leaf is missing from the final tree, any answer is malformed
 * or unexpected, or the memory of a stack process keeps growing.
 *
 * Method and the recorded 10-minute run: docs/stress.md.
 *
 *   npx tsx bench/stress.ts [--duration S] [--count N] [--concurrency N]
 *       [--readers N] [--seed N] [--interval-ms N] [--sample-ms N]
 *       [--mem-growth-pct P] [--mem-growth-mib M] [--keep DIR] [--json FILE]
 *
 * `runStress()` is exported for the bounded CI test (reference-log/test/stress.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import {
  HttpError,
  LogClient,
  NetworkError,
  ParseError,
  SeedSigner,
  SigsumError,
  addLeafUrl,
  checksumOf,
  fromHex,
  keyHash,
  leafHashOf,
  makeAddLeafRequest,
  parsePolicy,
  parseSignedTreeHeadBody,
  rootFromLeafHashes,
  serializeAddLeafRequest,
  sha256,
  toHex,
  utf8,
  verifyConsistency,
  verifyCosignedTreeHead,
  verifyInclusion,
  verifyTreeHeadSignature,
  type AddLeafRequest,
  type CosignedTreeHead,
  type Policy,
} from '@sigsum-kit/sdk';
import {
  httpRequest,
} from '@sigsum-kit/sdk/internal';
import { readPublicKeyFile } from '@sigsum-kit/sdk/node';
import { startLocalStack, type LocalStack } from '../web-demo/stack/local-stack.mjs';

// ------------------------------------------------------------------ options

/** Options of {@link runStress}; every field has a default (see {@link DEFAULT_STRESS_OPTIONS}). */
export interface StressOptions {
  /** Load phase length in seconds (the run stops at this or at `count`, whichever comes first). */
  durationSec: number;
  /** Most add-leaf submissions (valid, duplicate and invalid together) in the load phase. */
  count: number;
  /** Concurrent submitters. */
  concurrency: number;
  /** Concurrent readers (tree heads, proofs, leaves, the secondary's head). */
  readers: number;
  /** Seed of the operation mix and of the submitted messages (same seed, same leaves). */
  seed: number;
  /** The log's publish interval in ms. */
  intervalMs: number;
  /** How often the RSS of the stack processes is sampled, in ms. */
  sampleMs: number;
  /** Memory rule: relative growth (percent) of the median RSS, last third vs first third. */
  memGrowthPct: number;
  /** Memory rule: absolute growth (MiB) that must also be exceeded. */
  memGrowthMiB: number;
  /** Keep the stack's data in this directory (default: a temporary directory, removed afterwards). */
  keepDir?: string;
  /**
   * Plant a failure to prove the checker works: `missing-leaf` adds one
   * correctly signed leaf that is never sent to the set of acknowledged leaves.
   */
  plant?: 'missing-leaf';
  /** Progress lines (default: none). */
  onLine?: (line: string) => void;
}

/** Defaults, sized for a 2-core machine shared with other work. */
export const DEFAULT_STRESS_OPTIONS: Readonly<StressOptions> = Object.freeze({
  durationSec: 120,
  count: 200_000,
  concurrency: 16,
  readers: 4,
  seed: 1,
  intervalMs: 1000,
  sampleMs: 2000,
  memGrowthPct: 25,
  memGrowthMiB: 32,
});

/** A bad command line (exit code 2). */
export class UsageError extends Error {
  /** True for `--help`: the message is the usage text and the exit status is 0. */
  readonly help: boolean;
  constructor(message: string, help = false) {
    super(message);
    this.name = 'UsageError';
    this.help = help;
  }
}

const USAGE = `usage: npm run stress -- [--duration S] [--count N] [--concurrency N] [--readers N] [--seed N]
       [--interval-ms N] [--sample-ms N] [--mem-growth-pct P] [--mem-growth-mib M]
       [--keep DIR] [--json FILE] [--plant missing-leaf]`;

/** Parse the command line into options plus an optional JSON report path. */
export function parseStressArgs(argv: readonly string[]): { options: StressOptions; json?: string } {
  const o: StressOptions = { ...DEFAULT_STRESS_OPTIONS };
  let json: string | undefined;
  const ints: Record<string, [keyof StressOptions, number, number]> = {
    '--duration': ['durationSec', 1, 86_400],
    '--count': ['count', 1, 100_000_000],
    '--concurrency': ['concurrency', 1, 1024],
    '--readers': ['readers', 0, 1024],
    '--seed': ['seed', 0, 2 ** 32 - 1],
    '--interval-ms': ['intervalMs', 10, 60_000],
    '--sample-ms': ['sampleMs', 100, 600_000],
    '--mem-growth-pct': ['memGrowthPct', 0, 10_000],
    '--mem-growth-mib': ['memGrowthMiB', 0, 100_000],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE, true);
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${arg}: ${arg.startsWith('--') ? 'missing value' : 'unexpected argument'}\n${USAGE}`);
    const spec = ints[arg];
    if (spec !== undefined) {
      const [key, min, max] = spec;
      if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${arg}: expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
      (o as unknown as Record<string, number>)[key] = Number(value);
    } else if (arg === '--keep') {
      o.keepDir = resolve(value);
    } else if (arg === '--json') {
      json = resolve(value);
    } else if (arg === '--plant') {
      if (value !== 'missing-leaf') throw new UsageError(`--plant: the only planted failure is "missing-leaf", got ${JSON.stringify(value)}`);
      o.plant = value;
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    }
    i++;
  }
  return { options: o, ...(json === undefined ? {} : { json }) };
}

// ------------------------------------------------------------------ statistics

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Verdict of the memory rule on one process's RSS series. */
export interface MemoryVerdict {
  /** `growing` fails the run; `insufficient` means too few samples to judge (not a failure). */
  verdict: 'stable' | 'growing' | 'insufficient';
  /** Samples judged (after the warm-up). */
  samples: number;
  /** Median RSS (MiB) of the first third of the judged samples. */
  firstMiB: number;
  /** Median RSS (MiB) of the last third. */
  lastMiB: number;
}

/**
 * The memory rule. The first quarter of the samples is warm-up (caches,
 * JIT, SQLite pages fill) and is not judged. The rest is cut in thirds; the
 * process "keeps growing" when the median of the last third exceeds the
 * median of the first third by more than `pct` percent AND by more than
 * `mib` MiB. Medians make one GC spike irrelevant; the absolute floor keeps
 * small processes from failing on a few MiB. Fewer than 6 judged samples:
 * `insufficient`.
 */
export function memoryTrend(rssMiB: readonly number[], pct: number, mib: number): MemoryVerdict {
  const judged = rssMiB.slice(Math.floor(rssMiB.length / 4));
  if (judged.length < 6) return { verdict: 'insufficient', samples: judged.length, firstMiB: NaN, lastMiB: NaN };
  const third = Math.floor(judged.length / 3);
  const firstMiB = quantile(judged.slice(0, third), 0.5);
  const lastMiB = quantile(judged.slice(judged.length - third), 0.5);
  const growing = lastMiB > firstMiB * (1 + pct / 100) && lastMiB - firstMiB > mib;
  return { verdict: growing ? 'growing' : 'stable', samples: judged.length, firstMiB, lastMiB };
}

/** Seeded PRNG (mulberry32): the operation mix is reproducible per seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ report

/** Latency figures of one operation, in ms. */
export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One process's RSS series and verdict. */
export interface ProcessMemory {
  name: string;
  pid: number;
  /** `[seconds since start, RSS MiB]` samples. */
  samples: [number, number][];
  trend: MemoryVerdict;
}

/** Everything a run measured and found. */
export interface StressReport {
  options: Omit<StressOptions, 'onLine'>;
  /** Wall time of the load phase (s). */
  loadSeconds: number;
  /** Add-leaf submissions by type. */
  submissions: { valid: number; duplicate: number; invalid: number };
  /** Valid leaves that got 200. */
  acknowledged: number;
  /** HTTP requests of the load phase (every add-leaf attempt and every read). */
  requests: number;
  /** Requests per second over the load phase. */
  requestsPerSecond: number;
  /** Acknowledged leaves per second over the load phase. */
  acksPerSecond: number;
  /** Latency per operation (ms): `add-leaf` is one request, `ack` is first request to 200. */
  latency: Record<string, LatencyStats>;
  /** Expected outcomes worth counting (rejections of invalid submissions, 202 before 200, not-yet-included proofs). */
  outcomes: Record<string, number>;
  /** Failures by kind with a few examples; the run passes only when this is empty. */
  failures: Record<string, { count: number; examples: string[] }>;
  /** The final published tree (after the load stopped and everything was published). */
  final: { treeSize: number; rootHash: string; secondarySize: number; leavesChecked: number };
  memory: ProcessMemory[];
  /** RSS of this load generator (MiB: first sample, peak, last sample), for context. */
  loadGeneratorMiB: [number, number, number];
  /** The leaf hash planted by `plant: 'missing-leaf'` (the one failure such a run must report). */
  planted?: string;
  passed: boolean;
}

class Recorder {
  readonly latency = new Map<string, number[]>();
  readonly outcomes = new Map<string, number>();
  readonly failures = new Map<string, { count: number; examples: string[] }>();
  requests = 0;

  time(op: string, ms: number): void {
    let a = this.latency.get(op);
    if (a === undefined) this.latency.set(op, (a = []));
    a.push(ms);
  }
  count(kind: string, n = 1): void {
    this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + n);
  }
  fail(kind: string, example: string): void {
    let f = this.failures.get(kind);
    if (f === undefined) this.failures.set(kind, (f = { count: 0, examples: [] }));
    f.count++;
    if (f.examples.length < 5) f.examples.push(example.slice(0, 300));
  }
  /** Classify an exception of a request that should have succeeded. */
  failFrom(op: string, err: unknown): void {
    if (err instanceof HttpError) this.fail(`${op}: unexpected status ${err.status}`, err.message);
    else if (err instanceof ParseError) this.fail(`${op}: malformed response`, `${err.code}: ${err.message}`);
    else if (err instanceof NetworkError) this.fail(`${op}: network`, `${err.code}: ${err.message}`);
    else if (err instanceof SigsumError) this.fail(`${op}: ${err.code}`, err.message);
    else this.fail(`${op}: exception`, err instanceof Error ? err.stack ?? err.message : String(err));
  }
}

function stats(values: readonly number[]): LatencyStats {
  const r = (x: number): number => Math.round(x * 10) / 10;
  return { count: values.length, p50: r(quantile(values, 0.5)), p90: r(quantile(values, 0.9)), p99: r(quantile(values, 0.99)), max: r(values.reduce((a, b) => Math.max(a, b), values.length === 0 ? NaN : -Infinity)) };
}

// ------------------------------------------------------------------ the run

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

/** RSS in MiB from /proc/<pid>/status (undefined once the process is gone). */
function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Invalid submissions: each kind with the exact status the log must answer. */
/** Delay before a leaf answered 202 is sent again. */
const RESEND_MS = 250;
/** A valid leaf not acknowledged this long after its first submission is a failure. */
const ACK_TIMEOUT_MS = 60_000;

const INVALID_KINDS = ['bad-signature', 'bad-hex', 'missing-field', 'oversize'] as const;
type InvalidKind = (typeof INVALID_KINDS)[number];
const INVALID_STATUS: Record<InvalidKind, number> = { 'bad-signature': 403, 'bad-hex': 400, 'missing-field': 400, oversize: 413 };

interface Shared {
  stopAt: number;
  stopped: boolean;
  submitted: number;
  /** Hex leaf hashes of every valid leaf we sent, even once. */
  sent: Set<string>;
  /** Acknowledged (200) leaves: hex leaf hash → request, for duplicates. */
  acked: Map<string, AddLeafRequest>;
  ackedList: string[];
  /** Leaf hashes of correctly formed but wrongly signed leaves (must never be logged). */
  rejected: Set<string>;
  /** Every verified published head: size → hex root (a second root for a size is a fork). */
  heads: Map<number, string>;
  headSizes: number[];
  /** When each head size was first seen verified (performance.now()). */
  headSeenAt: Map<number, number>;
  /** Acknowledged leaf → time of its first submission (for submit-to-published latency). */
  firstSentAt: Map<string, number>;
  latest: CosignedTreeHead | undefined;
  /** Leaf index → hex leaf hash as seen by readers (a second hash for an index is a failure). */
  indexOf: Map<string, number>;
  atIndex: Map<number, string>;
}

function leafHashHex(req: AddLeafRequest): string {
  return toHex(leafHashOf({ checksum: checksumOf(req.message), signature: req.signature, keyHash: keyHash(req.publicKey) }));
}

/** Record that `hash` is at `index`; any contradiction with an earlier observation is a failure. */
function seeLeaf(sh: Shared, rec: Recorder, index: number, hash: string, where: string): void {
  const prevHash = sh.atIndex.get(index);
  const prevIndex = sh.indexOf.get(hash);
  if (prevHash !== undefined && prevHash !== hash) rec.fail('leaf changed at an index', `${where}: index ${index} was ${prevHash}, now ${hash}`);
  if (prevIndex !== undefined && prevIndex !== index) rec.fail('leaf at two indices', `${where}: ${hash} at ${prevIndex} and ${index}`);
  sh.atIndex.set(index, hash);
  sh.indexOf.set(hash, index);
}

/** Verify a published head under the policy and record it; false when it is rejected. */
async function acceptHead(sh: Shared, rec: Recorder, policy: Policy, logKeyHash: Uint8Array, head: CosignedTreeHead, where: string): Promise<boolean> {
  const v = await verifyCosignedTreeHead(policy, logKeyHash, head);
  if (!v.ok) {
    rec.fail('tree head rejected by the policy', `${where}: ${v.failure}: ${v.message}`);
    return false;
  }
  const size = Number(head.size);
  const root = toHex(head.rootHash);
  const known = sh.heads.get(size);
  if (known === undefined) {
    sh.heads.set(size, root);
    sh.headSizes.push(size);
    sh.headSeenAt.set(size, performance.now());
  } else if (known !== root) {
    rec.fail('two roots for one tree size', `${where}: size ${size}: ${known} and ${root}`);
    return false;
  }
  if (sh.latest === undefined || head.size > sh.latest.size) sh.latest = head;
  return true;
}

/**
 * `submit→published`: from a leaf's first submission until a verified head
 * that contains it was first seen by a reader. Only heads seen during the
 * load phase count (the final head is taken after a wait); leaves first
 * published after the load are left out. The resolution is the readers'
 * get-tree-head rate.
 */
function publicationLatency(sh: Shared, rec: Recorder, hashes: readonly Uint8Array[], loadEnd: number): void {
  const sizes = [...sh.headSeenAt].filter(([, t]) => t <= loadEnd).sort(([a], [b]) => a - b);
  // Earliest sighting of any head of at least this size (a larger head may be seen before a smaller one).
  const earliest: number[] = sizes.map(([, t]) => t);
  for (let i = earliest.length - 2; i >= 0; i--) earliest[i] = Math.min(earliest[i]!, earliest[i + 1]!);
  let k = 0;
  hashes.forEach((h, index) => {
    while (k < sizes.length && sizes[k]![0] <= index) k++;
    if (k === sizes.length) return;
    const first = sh.firstSentAt.get(toHex(h));
    if (first !== undefined) rec.time('submit→published', earliest[k]! - first);
  });
}

/** Run the stress test; resolves with the report (it does not print or exit). */
export async function runStress(options: Partial<StressOptions> = {}): Promise<StressReport> {
  const o: StressOptions = { ...DEFAULT_STRESS_OPTIONS, ...options };
  const say = o.onLine ?? (() => {});
  const dir = o.keepDir ?? mkdtempSync(join(tmpdir(), 'sigsum-stress-'));
  const rec = new Recorder();
  const t0 = performance.now();
  const since = (): number => (performance.now() - t0) / 1000;
  let stack: LocalStack | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    say(`starting the stack in ${dir} (primary, secondary, 2 witnesses)…`);
    stack = await startLocalStack({ dir, witnesses: 2, intervalMs: o.intervalMs, onLine: (l) => say(l) });
    const s = stack;
    const policy = parsePolicy(s.policy);
    const logKeyHash = keyHash(fromHex(s.logKeyHex, 'log key', 32));
    const secondaryKey = (await readPublicKeyFile(join(dir, 'secondary', 'log.key.pub'))).publicKey;
    const internalUrl = `http://${(JSON.parse(readFileSync(join(dir, 'log', 'config.json'), 'utf8')) as { internalListen: string }).internalListen}/`;
    // Retries off: every answer is judged as it comes.
    const client = new LogClient({ url: s.logUrl, retries: 0, timeoutMs: 30_000 });

    // local-stack names its processes (`witness W1`, `log`, `secondary`); its start order is the fallback.
    const names = [...s.witnesses.map((w) => `witness ${w.name}`), 'primary', 'secondary'];
    const nameOf = (p: ChildProcess, i: number): string => {
      const n = (p as ChildProcess & { stackName?: unknown }).stackName;
      return typeof n === 'string' ? (n === 'log' ? 'primary' : n) : (names[i] ?? `process ${i}`);
    };
    const procs = s.processes.map((p: ChildProcess, i: number) => ({ name: nameOf(p, i), pid: p.pid!, samples: [] as [number, number][] }));
    let exited = false;
    for (const [i, p] of s.processes.entries()) {
      p.once('exit', (code, sig) => {
        if (!exited) rec.fail('stack process exited', `${procs[i]!.name} exited (${sig ?? code})`);
      });
    }
    const ownSamples: number[] = [];
    const sample = (): void => {
      const t = Math.round(since() * 10) / 10;
      for (const p of procs) {
        const m = rssMiB(p.pid);
        if (m !== undefined) p.samples.push([t, Math.round(m * 10) / 10]);
      }
      ownSamples.push(process.memoryUsage().rss / MiB);
    };
    sample();
    sampler = setInterval(sample, o.sampleMs);

    const random = prng(o.seed);
    const signers = [0, 1, 2, 3].map((k) => new SeedSigner(sha256(utf8(`sigsum-kit stress submitter ${o.seed} ${k}`))));
    let messageNo = 0;
    const nextRequest = (): Promise<AddLeafRequest> => {
      const n = messageNo++;
      return makeAddLeafRequest(signers[n % signers.length]!, sha256(utf8(`sigsum-kit stress ${o.seed} message ${n}`)));
    };
    const sh: Shared = {
      stopAt: performance.now() + o.durationSec * 1000,
      stopped: false,
      submitted: 0,
      sent: new Set(),
      acked: new Map(),
      ackedList: [],
      rejected: new Set(),
      heads: new Map(),
      headSeenAt: new Map(),
      firstSentAt: new Map(),
      headSizes: [],
      latest: undefined,
      indexOf: new Map(),
      atIndex: new Map(),
    };
    let planted: string | undefined;
    if (o.plant === 'missing-leaf') {
      // Signed like any other leaf but never sent: the final check must report exactly this one.
      const req = await makeAddLeafRequest(signers[0]!, sha256(utf8(`sigsum-kit stress ${o.seed} planted`)));
      planted = leafHashHex(req);
      sh.acked.set(planted, req);
    }
    const submissions = { valid: 0, duplicate: 0, invalid: 0 };
    const loading = (): boolean => !sh.stopped && performance.now() < sh.stopAt && sh.submitted < o.count;

    /** Send one add-leaf; the SDK client checks the status (200/202) and the empty 200 body. */
    const addLeaf = async (req: AddLeafRequest): Promise<'persisted' | 'accepted' | 'busy' | 'failed'> => {
      const start = performance.now();
      rec.requests++;
      try {
        const r = await client.addLeaf(req);
        rec.time('add-leaf', performance.now() - start);
        return r;
      } catch (err) {
        if (err instanceof HttpError && err.status === 503) {
          rec.count('add-leaf 503 (log busy, retried)');
          return 'busy';
        }
        rec.failFrom('add-leaf', err);
        return 'failed';
      }
    };

    /** A valid leaf sent at least once and not yet acknowledged; re-sent every RESEND_MS until 200. */
    interface PendingLeaf {
      req: AddLeafRequest;
      hash: string;
      first: number;
      nextAt: number;
    }
    // FIFO: every leaf waits the same delay, so the queue is ordered by nextAt.
    const due: PendingLeaf[] = [];
    const attempt = async (p: PendingLeaf): Promise<void> => {
      const r = await addLeaf(p.req);
      if (r === 'failed') return;
      if (r === 'persisted') {
        rec.time('ack', performance.now() - p.first);
        sh.acked.set(p.hash, p.req);
        sh.firstSentAt.set(p.hash, p.first);
        sh.ackedList.push(p.hash);
        return;
      }
      if (r === 'accepted') rec.count('add-leaf 202 (re-sent later)');
      // Bounded, so a stuck log is a failure and not a hang.
      if (performance.now() - p.first > ACK_TIMEOUT_MS) {
        rec.fail(`leaf not acknowledged within ${ACK_TIMEOUT_MS / 1000} s`, p.hash);
        return;
      }
      p.nextAt = performance.now() + (r === 'busy' ? 1000 : RESEND_MS);
      due.push(p);
    };

    const submitValid = async (): Promise<void> => {
      const req = await nextRequest();
      const hash = leafHashHex(req);
      sh.sent.add(hash);
      const now = performance.now();
      await attempt({ req, hash, first: now, nextAt: now });
    };

    const submitDuplicate = async (): Promise<void> => {
      const hash = sh.ackedList[Math.floor(random() * sh.ackedList.length)]!;
      const r = await addLeaf(sh.acked.get(hash)!);
      // An acknowledged leaf stays sequenced: its duplicate must get 200 at once.
      if (r === 'persisted') rec.count('duplicate answered 200');
      else if (r === 'accepted') rec.fail('duplicate of an acknowledged leaf not answered 200', `${hash}: got 202`);
    };

    const submitInvalid = async (kind: InvalidKind): Promise<void> => {
      const req = await nextRequest();
      let body: string;
      switch (kind) {
        case 'bad-signature': {
          const signature = req.signature.slice();
          signature[7]! ^= 0x01;
          const bad = { ...req, signature };
          sh.rejected.add(leafHashHex(bad));
          body = serializeAddLeafRequest(bad);
          break;
        }
        case 'bad-hex':
          body = serializeAddLeafRequest(req).replace(/^message=../, 'message=zz');
          break;
        case 'missing-field':
          body = serializeAddLeafRequest(req).replace(/public_key=[0-9a-f]+\n/, '');
          break;
        case 'oversize':
          body = serializeAddLeafRequest(req) + 'x'.repeat(4096);
          break;
      }
      const start = performance.now();
      rec.requests++;
      try {
        const res = await fetch(addLeafUrl(s.logUrl), { method: 'POST', body, signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        rec.time('add-leaf (invalid)', performance.now() - start);
        const want = INVALID_STATUS[kind];
        // Errors are one plain-text line naming the problem (docs/reference-log.md).
        if (res.status !== want) rec.fail(`invalid submission (${kind}): unexpected status ${res.status}`, `wanted ${want}: ${text}`);
        else if (!/^[^\n]+\n$/.test(text)) rec.fail(`invalid submission (${kind}): malformed error body`, JSON.stringify(text));
        else rec.count(`rejected ${kind} with ${want}`);
      } catch (err) {
        rec.fail(`invalid submission (${kind}): network`, String(err));
      }
    };

    // A submitter re-sends due leaves first, else makes a new submission; after the load phase it only drains.
    const writer = async (): Promise<void> => {
      for (;;) {
        const next = due[0];
        if (next !== undefined && next.nextAt <= performance.now()) {
          due.shift();
          await attempt(next);
          continue;
        }
        if (!loading()) {
          if (next === undefined) return;
          await sleep(Math.max(1, next.nextAt - performance.now()));
          continue;
        }
        sh.submitted++;
        const r = random();
        if (r < 0.7 || sh.ackedList.length === 0) {
          submissions.valid++;
          await submitValid();
        } else if (r < 0.85) {
          submissions.duplicate++;
          await submitDuplicate();
        } else {
          submissions.invalid++;
          await submitInvalid(INVALID_KINDS[Math.floor(random() * INVALID_KINDS.length)]!);
        }
      }
    };

    // ---- readers
    const timed = async <T>(op: string, f: () => Promise<T>): Promise<T | undefined> => {
      const start = performance.now();
      rec.requests++;
      try {
        const v = await f();
        rec.time(op, performance.now() - start);
        return v;
      } catch (err) {
        if (op === 'get-inclusion-proof' && err instanceof HttpError && err.status === 404) {
          // Acknowledged means "in the next published head": not yet in this one is allowed here; the final check is strict.
          rec.time(op, performance.now() - start);
          rec.count('inclusion 404 (acknowledged, not yet published)');
          return undefined;
        }
        rec.failFrom(op, err);
        return undefined;
      }
    };

    const reader = async (): Promise<void> => {
      let mine: CosignedTreeHead | undefined;
      let secondarySize = -1;
      while (loading()) {
        const r = random();
        const latest = sh.latest;
        if (r < 0.3 || latest === undefined) {
          const head = await timed('get-tree-head', () => client.getTreeHead());
          if (head === undefined || !(await acceptHead(sh, rec, policy, logKeyHash, head, 'get-tree-head'))) continue;
          if (mine !== undefined && head.size < mine.size) rec.fail('published tree head went back', `size ${mine.size} then ${head.size}`);
          else if (mine !== undefined && head.size > mine.size) {
            const old = mine;
            const proof = await timed('get-consistency-proof', () => client.getConsistencyProof(old.size, head.size));
            if (proof !== undefined) {
              try {
                verifyConsistency(old.size, head.size, old.rootHash, head.rootHash, proof.path);
              } catch (err) {
                rec.failFrom('consistency proof', err);
              }
            }
          }
          mine = head;
        } else if (r < 0.6) {
          // Size 1 has no proof to ask for (the SDK answers it locally), so start at 2.
          if (sh.ackedList.length === 0 || latest.size < 2n) continue;
          const hash = sh.ackedList[Math.floor(random() * sh.ackedList.length)]!;
          const proof = await timed('get-inclusion-proof', () => client.getInclusionProof(latest.size, fromHex(hash)));
          if (proof === undefined) continue;
          try {
            verifyInclusion(fromHex(hash), proof.leafIndex, latest.size, proof.path, latest.rootHash);
            seeLeaf(sh, rec, Number(proof.leafIndex), hash, 'get-inclusion-proof');
          } catch (err) {
            rec.failFrom('inclusion proof', err);
          }
        } else if (r < 0.8) {
          if (latest.size === 0n) continue;
          const size = Number(latest.size);
          const start = Math.floor(random() * size);
          const end = Math.min(size, start + 1 + Math.floor(random() * 64));
          const leaves = await timed('get-leaves', () => client.getLeaves(BigInt(start), BigInt(end)));
          if (leaves === undefined) continue;
          if (leaves.length > end - start) rec.fail('get-leaves: too many leaves', `${leaves.length} for ${start}..${end}`);
          leaves.forEach((leaf, i) => {
            const hash = toHex(leafHashOf(leaf));
            // We are the only submitter of this fresh log: any other leaf is an invention.
            if (!sh.sent.has(hash)) rec.fail('get-leaves: a leaf nobody submitted', `index ${start + i}: ${hash}`);
            seeLeaf(sh, rec, start + i, hash, 'get-leaves');
          });
        } else if (r < 0.9) {
          if (sh.headSizes.length < 2) continue;
          const a = sh.headSizes[Math.floor(random() * sh.headSizes.length)]!;
          const b = sh.headSizes[Math.floor(random() * sh.headSizes.length)]!;
          const [oldSize, newSize] = a < b ? [a, b] : [b, a];
          if (oldSize === newSize) continue;
          const proof = await timed('get-consistency-proof', () => client.getConsistencyProof(BigInt(oldSize), BigInt(newSize)));
          if (proof === undefined) continue;
          try {
            verifyConsistency(BigInt(oldSize), BigInt(newSize), fromHex(sh.heads.get(oldSize)!), fromHex(sh.heads.get(newSize)!), proof.path);
          } catch (err) {
            rec.failFrom('consistency proof', err);
          }
        } else {
          const sth = await timed('get-secondary-tree-head', async () => {
            const res = await httpRequest({ method: 'GET', url: `${s.secondaryUrl}get-secondary-tree-head`, retries: 0, timeoutMs: 30_000 });
            return parseSignedTreeHeadBody(res.body);
          });
          if (sth === undefined) continue;
          if (!(await verifyTreeHeadSignature(sth, secondaryKey))) rec.fail('secondary tree head: bad signature', `size ${sth.size}`);
          const size = Number(sth.size);
          if (size < secondarySize) rec.fail('secondary tree head went back', `size ${secondarySize} then ${size}`);
          secondarySize = size;
          const known = sh.heads.get(size);
          if (known !== undefined && known !== toHex(sth.rootHash)) rec.fail('secondary disagrees with a published head', `size ${size}`);
        }
      }
    };

    say(`load: ${o.durationSec} s or ${o.count} submissions, ${o.concurrency} submitters, ${o.readers} readers, seed ${o.seed}`);
    const progressEvery = Math.max(5000, Math.min(30_000, o.durationSec * 100));
    const loadStart = performance.now();
    let lastRequests = 0;
    let lastAcks = 0;
    let lastT = loadStart;
    const progress = setInterval(() => {
      const now = performance.now();
      const dt = (now - lastT) / 1000;
      const rss = procs.map((p) => `${p.name.replace('witness ', '')} ${p.samples.at(-1)?.[1] ?? '?'}`).join(', ');
      say(
        `[${Math.round((now - loadStart) / 1000)} s] acks ${sh.ackedList.length} (+${((sh.ackedList.length - lastAcks) / dt).toFixed(0)}/s), ` +
          `${((rec.requests - lastRequests) / dt).toFixed(0)} req/s, head ${sh.latest?.size ?? '-'}, failures ${[...rec.failures.values()].reduce((a, f) => a + f.count, 0)}, RSS MiB: ${rss}`,
      );
      lastRequests = rec.requests;
      lastAcks = sh.ackedList.length;
      lastT = now;
    }, progressEvery);
    await Promise.all([...Array.from({ length: o.concurrency }, writer), ...Array.from({ length: o.readers }, reader)]);
    clearInterval(progress);
    const loadEnd = performance.now();
    const loadSeconds = (loadEnd - loadStart) / 1000;
    sh.stopped = true;
    say(`load stopped after ${loadSeconds.toFixed(1)} s; waiting until everything integrated is published…`);

    // ---- final check: the primary has nothing pending and has published its whole tree.
    const health = async (): Promise<Record<string, string>> => {
      const res = await httpRequest({ method: 'GET', url: `${internalUrl}health`, retries: 0, timeoutMs: 10_000 });
      return Object.fromEntries(new TextDecoder().decode(res.body).trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    };
    const settleBy = performance.now() + 60_000 + 5 * o.intervalMs;
    let finalHead: CosignedTreeHead | undefined;
    for (;;) {
      const h = await health();
      if (h.pending === '0' && h.tree_size === h.published_size) {
        const head = await client.getTreeHead();
        if (String(head.size) === h.published_size) {
          finalHead = head;
          break;
        }
      }
      if (performance.now() > settleBy) {
        rec.fail('final: the log did not publish its whole tree within 60 s', JSON.stringify(h));
        finalHead = await client.getTreeHead();
        break;
      }
      await sleep(Math.min(250, o.intervalMs));
    }
    await acceptHead(sh, rec, policy, logKeyHash, finalHead, 'final get-tree-head');
    const size = Number(finalHead.size);
    const hashes: Uint8Array[] = [];
    while (hashes.length < size) {
      const leaves = await client.getLeaves(BigInt(hashes.length), BigInt(size));
      for (const leaf of leaves) {
        const h = leafHashOf(leaf);
        seeLeaf(sh, rec, hashes.length, toHex(h), 'final get-leaves');
        hashes.push(h);
      }
    }
    const inTree = new Set(hashes.map(toHex));
    publicationLatency(sh, rec, hashes, loadEnd);
    if (inTree.size !== hashes.length) rec.fail('final: a leaf is in the tree twice', `${hashes.length - inTree.size} duplicate(s)`);
    if (toHex(rootFromLeafHashes(hashes)) !== toHex(finalHead.rootHash)) rec.fail('final: the leaves do not hash to the published root', `size ${size}`);
    for (const h of inTree) if (!sh.sent.has(h)) rec.fail('final: a leaf nobody submitted', h);
    for (const h of sh.acked.keys()) if (!inTree.has(h)) rec.fail('final: acknowledged leaf missing from the tree', h);
    for (const h of sh.rejected) if (inTree.has(h)) rec.fail('final: a rejected leaf was logged', h);
    // The hot standby holds at least the published tree, with the same root.
    const secRes = await httpRequest({ method: 'GET', url: `${s.secondaryUrl}get-secondary-tree-head`, retries: 0, timeoutMs: 10_000 });
    const sec = parseSignedTreeHeadBody(secRes.body);
    if (!(await verifyTreeHeadSignature(sec, secondaryKey))) rec.fail('final: secondary tree head has a bad signature', `size ${sec.size}`);
    if (sec.size < finalHead.size) rec.fail('final: the secondary is behind the published head', `${sec.size} < ${finalHead.size}`);
    else if (sec.size === finalHead.size && toHex(sec.rootHash) !== toHex(finalHead.rootHash)) rec.fail('final: the secondary has another root', `size ${sec.size}`);

    clearInterval(sampler);
    sampler = undefined;
    sample();
    // Operating the log includes stopping it: every process must exit 0 on SIGTERM.
    exited = true;
    await s.stop();
    s.processes.forEach((p: ChildProcess, i: number) => {
      if (p.exitCode !== 0) rec.fail('unclean shutdown on SIGTERM', `${procs[i]!.name}: ${p.signalCode ?? `exit ${p.exitCode}`}`);
    });
    const memory: ProcessMemory[] = procs.map((p) => ({ ...p, trend: memoryTrend(p.samples.map(([, m]) => m), o.memGrowthPct, o.memGrowthMiB) }));
    for (const m of memory) {
      if (m.trend.verdict === 'growing') rec.fail('memory keeps growing', `${m.name}: median ${m.trend.firstMiB} MiB → ${m.trend.lastMiB} MiB`);
    }
    const { onLine: _onLine, ...shown } = o;
    const report: StressReport = {
      options: shown,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      submissions,
      acknowledged: sh.ackedList.length,
      requests: rec.requests,
      requestsPerSecond: Math.round(rec.requests / loadSeconds),
      acksPerSecond: Math.round((sh.ackedList.length / loadSeconds) * 10) / 10,
      latency: Object.fromEntries([...rec.latency].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, stats(v)])),
      outcomes: Object.fromEntries([...rec.outcomes].sort(([a], [b]) => a.localeCompare(b))),
      failures: Object.fromEntries([...rec.failures].sort(([a], [b]) => a.localeCompare(b))),
      final: { treeSize: size, rootHash: toHex(finalHead.rootHash), secondarySize: Number(sec.size), leavesChecked: hashes.length },
      memory,
      loadGeneratorMiB: [Math.round(ownSamples[0]!), Math.round(Math.max(...ownSamples)), Math.round(ownSamples.at(-1)!)],
      ...(planted === undefined ? {} : { planted }),
      passed: rec.failures.size === 0,
    };
    return report;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    await stack?.stop();
    if (o.keepDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ printing

/** The report as text: throughput, latency percentiles, outcomes, failures, memory over time, verdict. */
export function formatReport(r: StressReport): string {
  const lines: string[] = [];
  const o = r.options;
  lines.push(`stress: ${o.durationSec} s / ${o.count} submissions max, ${o.concurrency} submitters, ${o.readers} readers, seed ${o.seed}, publish interval ${o.intervalMs} ms`);
  lines.push(`load phase ${r.loadSeconds} s: submissions valid ${r.submissions.valid}, duplicate ${r.submissions.duplicate}, invalid ${r.submissions.invalid}`);
  lines.push(`throughput: ${r.requestsPerSecond} requests/s (${r.requests} requests), ${r.acksPerSecond} acknowledged leaves/s (${r.acknowledged})`);
  lines.push('', 'latency (ms)              count      p50      p90      p99      max');
  for (const [op, s] of Object.entries(r.latency)) {
    lines.push(`  ${op.padEnd(24)}${String(s.count).padStart(6)}${[s.p50, s.p90, s.p99, s.max].map((x) => String(x).padStart(9)).join('')}`);
  }
  lines.push('', 'expected outcomes');
  for (const [k, n] of Object.entries(r.outcomes)) lines.push(`  ${k}: ${n}`);
  lines.push('', `errors by kind (failures): ${Object.keys(r.failures).length === 0 ? 'none' : ''}`);
  for (const [k, f] of Object.entries(r.failures)) lines.push(`  ${k}: ${f.count}   e.g. ${f.examples[0]}`);
  lines.push('', `final tree: size ${r.final.treeSize}, root ${r.final.rootHash}; ${r.final.leavesChecked} leaves fetched and hashed to the root; secondary at ${r.final.secondarySize}`);
  lines.push('', 'memory: RSS MiB over time (s)');
  const rows = r.memory[0]?.samples.length ?? 0;
  // At most 13 evenly spaced rows, always with the first and the last sample.
  const picked = [...new Set(Array.from({ length: Math.min(rows, 13) }, (_, k) => Math.round((k * (rows - 1)) / Math.max(1, Math.min(rows, 13) - 1))))];
  lines.push('  ' + 't'.padStart(7) + r.memory.map((m) => m.name.replace('witness ', '').padStart(11)).join(''));
  for (const i of picked) {
    lines.push('  ' + String(r.memory[0]!.samples[i]![0]).padStart(7) + r.memory.map((m) => String(m.samples[i]?.[1] ?? '-').padStart(11)).join(''));
  }
  for (const m of r.memory) {
    const t = m.trend;
    lines.push(`  ${m.name}: ${t.verdict}${t.verdict === 'insufficient' ? ` (${t.samples} samples after warm-up)` : ` (median ${t.firstMiB} → ${t.lastMiB} MiB over ${t.samples} samples)`}`);
  }
  lines.push(`  load generator (not judged): ${r.loadGeneratorMiB[0]} MiB at start, peak ${r.loadGeneratorMiB[1]}, ${r.loadGeneratorMiB[2]} at the end`);
  if (r.planted !== undefined) lines.push(`  (planted: acknowledged leaf ${r.planted} was never sent)`);
  lines.push('', r.passed ? 'PASS' : `FAIL: ${Object.keys(r.failures).join('; ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseStressArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError && err.help) {
      process.stdout.write(`${err.message}\n`);
      process.exit(0);
    }
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const { options, json } = parsed;
  const started = new Date().toISOString();
  const report = await runStress({ ...options, onLine: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`started ${started}, node ${process.version}\n${formatReport(report)}\n`);
  if (json !== undefined) writeFileSync(json, JSON.stringify({ started, ...report }, null, 2) + '\n');
  process.exit(report.passed ? 0 : 1);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`stress: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
