/**
 * The monitor: against the reference log (in process, real HTTP), and
 * against a test log we control that misbehaves on purpose — it serves
 * tree heads signed by a test key, so it can fork, roll back, serve leaves
 * that do not match, or forge leaf signatures. That server is scaffolding
 * playing a malicious log; the monitor under test is the real CLI/class.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  MemoryTree,
  SeedSigner,
  cosignTreeHead,
  formatOpenSshPublicKey,
  keyHash,
  leafHashOf,
  makeLeaf,
  parsePolicy,
  serializeConsistencyProof,
  serializeCosignedTreeHead,
  serializeLeaves,
  sha256,
  signTreeHead,
  submitMessages,
  toHex,
  utf8,
  type Cosignature,
  type Leaf,
  type Policy,
} from '@sigsum-kit/sdk';
import { Monitor, parseState, type MonitorEvent } from '@sigsum-kit/sdk/node';
import { openMemoryStorage, startLog, type RunningLog } from '@sigsum-kit/reference-log';

// Real processes on a shared 2-core machine: allow for slow starts under load.
vi.setConfig({ testTimeout: 120_000 });

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
let dir: string;
const watched = SeedSigner.generate();
const other = SeedSigner.generate();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigsum-monitor-test-'));
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function collect(): { events: MonitorEvent[]; onEvent: (e: MonitorEvent) => void; of: <T extends MonitorEvent['type']>(t: T) => Extract<MonitorEvent, { type: T }>[] } {
  const events: MonitorEvent[] = [];
  return {
    events,
    onEvent: (e) => events.push(e),
    of: <T extends MonitorEvent['type']>(t: T) => events.filter((e): e is Extract<MonitorEvent, { type: T }> => e.type === t),
  };
}

describe('Monitor against the reference log', () => {
  let log: RunningLog;
  let policy: Policy;
  beforeAll(async () => {
    const signer = SeedSigner.generate();
    const storage = await openMemoryStorage();
    storage.setLogPublicKey(signer.publicKey);
    log = await startLog({ storage, signer, intervalMs: 100, internalPort: null });
    policy = parsePolicy(`log ${toHex(signer.publicKey)} ${log.url}\nquorum none\n`);
  }, 120_000);
  afterAll(async () => {
    await log?.close();
  });

  it('reports the watched key’s leaves, keeps state, resumes, and rescans for new keys', async () => {
    const opts = { policy, pollDelayMs: 50, timeoutMs: 20_000 };
    const mine = await submitMessages(watched, [1, 2, 3].map((i) => sha256(utf8(`mine ${i}`))), opts);
    await submitMessages(other, [1, 2].map((i) => sha256(utf8(`theirs ${i}`))), opts);
    const stateFile = join(dir, 'ref.state');
    const c1 = collect();
    // Batch size 2 makes the monitor page through get-leaves.
    await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: c1.onEvent, stateFile, batchSize: 2 }).runOnce();
    expect(c1.of('alert')).toEqual([]);
    expect(c1.of('leaf').map((e) => e.index).sort()).toEqual(mine.map((p) => p.inclusion.leafIndex).sort());
    expect(c1.of('leaf').every((e) => e.keyHash === toHex(keyHash(watched.publicKey)))).toBe(true);
    const state = parseState(readFileSync(stateFile, 'utf8'));
    const entry = state.logs.get(policy.logs[0]!.keyHashHex)!;
    expect(entry.nextIndex).toBe(entry.size);

    // A new monitor (a restart) with the same state reports only what is new.
    const more = await submitMessages(watched, [sha256(utf8('mine 4'))], opts);
    const c2 = collect();
    await new Monitor({ policy, submitKeys: [watched.publicKey], onEvent: c2.onEvent, stateFile }).runOnce();
    expect(c2.of('leaf').map((e) => e.index)).toEqual([more[0]!.inclusion.leafIndex]);
    expect(c2.of('alert')).toEqual([]);

    // Adding a key rescans all leaves (the new key's leaves may be anywhere), still checking consistency.
    const c3 = collect();
    await new Monitor({ policy, submitKeys: [watched.publicKey, other.publicKey], onEvent: c3.onEvent, stateFile }).runOnce();
    expect(c3.of('leaf')).toHaveLength(6);
    expect(c3.of('alert')).toEqual([]);
  });
});

/** A log under the test's control. */
class EvilLog {
  readonly signer = SeedSigner.generate();
  readonly witness = SeedSigner.generate();
  server!: Server;
  url = '';
  leaves: Leaf[] = [];
  /** Override what get-leaves serves (to serve leaves that do not match the tree head). */
  servedLeaves: Leaf[] | undefined;
  cosignTime: bigint | undefined = BigInt(Math.floor(Date.now() / 1000));
  /** Further witnesses and the times they cosign with (for k-of-n quorums). */
  moreWitnesses: { signer: SeedSigner; time: bigint }[] = [];
  badSignature = false;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req.url ?? '').then(
        ([status, body]) => {
          res.statusCode = status;
          res.end(body);
        },
        (e: Error) => {
          res.statusCode = 500;
          res.end(e.message);
        },
      );
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  tree(): MemoryTree {
    return MemoryTree.fromLeafHashes(this.leaves.map(leafHashOf));
  }

  policy(withWitness = false): Policy {
    return parsePolicy(`log ${toHex(this.signer.publicKey)} ${this.url}\n${withWitness ? `witness w ${toHex(this.witness.publicKey)}\nquorum w\n` : 'quorum none\n'}`);
  }

  async handle(path: string): Promise<[number, string]> {
    const tree = this.tree();
    if (path === '/get-tree-head') {
      const th = { size: BigInt(tree.size), rootHash: tree.root() };
      const sth = await signTreeHead(this.signer, th);
      const signature = this.badSignature ? sth.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) : sth.signature;
      const logKeyHash = keyHash(this.signer.publicKey);
      const cosignatures: Cosignature[] = this.cosignTime === undefined ? [] : [await cosignTreeHead(this.witness, th, logKeyHash, this.cosignTime)];
      for (const w of this.moreWitnesses) cosignatures.push(await cosignTreeHead(w.signer, th, logKeyHash, w.time));
      return [200, serializeCosignedTreeHead({ ...th, signature, cosignatures })];
    }
    let m = /^\/get-leaves\/(\d+)\/(\d+)$/.exec(path);
    if (m) {
      const all = this.servedLeaves ?? this.leaves;
      return [200, serializeLeaves(all.slice(Number(m[1]), Math.min(Number(m[2]), all.length)))];
    }
    m = /^\/get-consistency-proof\/(\d+)\/(\d+)$/.exec(path);
    if (m) return [200, serializeConsistencyProof({ path: tree.consistencyProof(Number(m[1]), Number(m[2])) })];
    return [404, 'not found'];
  }
}

async function leavesOf(signer: SeedSigner, tag: string, n: number): Promise<Leaf[]> {
  const out: Leaf[] = [];
  for (let i = 0; i < n; i++) out.push(await makeLeaf(signer, sha256(utf8(`${tag} ${i}`))));
  return out;
}

function monitorCli(args: string[]): Promise<{ code: number | null; events: Record<string, unknown>[]; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, 'monitor', '--once', '--json', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stderr: err, events: out.trim() === '' ? [] : out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) }));
  });
}

describe('monitor alarms against a misbehaving log', () => {
  let evil: EvilLog;
  let policyFile: string;
  let stateFile: string;
  beforeAll(async () => {
    evil = new EvilLog();
    await evil.start();
    policyFile = join(dir, 'evil.policy');
    writeFileSync(policyFile, `log ${toHex(evil.signer.publicKey)} ${evil.url}\nquorum none\n`);
    writeFileSync(join(dir, 'watched.pub'), formatOpenSshPublicKey(watched.publicKey));
    stateFile = join(dir, 'evil.state');
  }, 120_000);
  afterAll(() => {
    evil?.server.close();
  });

  it('the CLI raises an alarm when the log serves an inconsistent tree head, and on rollback', async () => {
    evil.leaves = [...(await leavesOf(watched, 'a', 2)), ...(await leavesOf(other, 'a', 2))];
    const ok = await monitorCli(['-p', policyFile, '-s', stateFile, 'watched.pub']);
    expect(ok.code).toBe(0);
    expect(ok.events.filter((e) => e.type === 'leaf').map((e) => e.index)).toEqual([0, 1]);

    // Fork: a size-6 tree whose first leaf differs from the one seen before.
    const forked = [...(await leavesOf(other, 'fork', 1)), ...evil.leaves.slice(1), ...(await leavesOf(watched, 'b', 2))];
    evil.leaves = forked;
    const fork = await monitorCli(['-p', policyFile, '-s', stateFile, 'watched.pub']);
    expect(fork.code).toBe(1);
    expect(fork.stderr).toBe('sigsum: 1 critical alert(s) raised\n');
    const alerts = fork.events.filter((e) => e.type === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alert: 'inconsistent-tree-head', severity: 'critical', log: toHex(keyHash(evil.signer.publicKey)) });
    expect(alerts[0]!.message).toMatch(/^tree head of size 6 is not consistent with size 4: /);
    expect(fork.events.filter((e) => e.type === 'leaf')).toEqual([]);

    // The alarm is not forgotten: state still holds the size-4 head, so the next run alarms again.
    expect((await monitorCli(['-p', policyFile, '-s', stateFile, 'watched.pub'])).code).toBe(1);

    // Rollback: fewer leaves than seen before.
    evil.leaves = forked.slice(0, 3);
    const back = await monitorCli(['-p', policyFile, '-s', stateFile, 'watched.pub']);
    expect(back.code).toBe(1);
    expect(back.events.filter((e) => e.type === 'alert')).toMatchObject([{ alert: 'rollback', message: 'tree head size 3 is smaller than size 4 seen before' }]);
  });

  it('shows catch-up progress on a terminal and none in scripts', async () => {
    evil.leaves = await leavesOf(other, 'progress', 10);
    const args = ['monitor', '--once', '-p', policyFile, '--batch-size', '3', 'watched.pub'];
    // A real pseudo-terminal (util-linux script): the bar is redrawn in place on standard error.
    const shellQuote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    // Asynchronous runs: the misbehaving log answers from this process.
    const run = (cmd: string, argv: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((res, rej) => {
        const p = spawn(cmd, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('error', rej);
        p.on('close', (status) => res({ status, stdout, stderr }));
      });
    const tty = await run('script', ['-qec', [process.execPath, CLI, ...args].map(shellQuote).join(' '), '/dev/null']);
    expect(tty.status).toBe(0);
    for (const step of ['3/10', '6/10', '9/10', '10/10']) expect(tty.stdout).toContain(`] ${step}`);
    expect(tty.stdout).toContain('New ');
    // Piped: the same run prints only the sigsum-monitor lines.
    const piped = await run(process.execPath, [CLI, ...args]);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('/10');
  });

  it('alarms on a second root for the same size', async () => {
    const honest = [...(await leavesOf(watched, 'c', 3))];
    const c = collect();
    evil.leaves = honest;
    const m = new Monitor({ policy: evil.policy(), submitKeys: [watched.publicKey], onEvent: c.onEvent });
    await m.runOnce();
    evil.leaves = [...honest.slice(0, 2), ...(await leavesOf(other, 'c', 1))];
    await m.runOnce();
    expect(c.of('alert')).toMatchObject([{ alert: 'inconsistent-tree-head', message: expect.stringMatching(/^two roots for size 3: /) }]);
  });

  it('alarms when the leaves do not hash to the tree head, and on forged leaf signatures', async () => {
    evil.leaves = await leavesOf(watched, 'd', 3);
    evil.servedLeaves = [...evil.leaves.slice(0, 2), ...(await leavesOf(watched, 'not in the tree', 1))];
    const c = collect();
    await new Monitor({ policy: evil.policy(), submitKeys: [watched.publicKey], onEvent: c.onEvent }).runOnce();
    expect(c.of('alert')).toMatchObject([{ alert: 'leaves-mismatch', message: 'the 3 leaves served do not hash to the root of the tree head' }]);
    expect(c.of('leaf')).toEqual([]); // nothing is reported from leaves that do not match
    evil.servedLeaves = undefined;

    // A leaf that names the watched key but whose signature is someone else's.
    const forged: Leaf = { ...(await makeLeaf(other, sha256(utf8('forged')))), keyHash: keyHash(watched.publicKey) };
    evil.leaves = [...evil.leaves, forged];
    const c2 = collect();
    await new Monitor({ policy: evil.policy(), submitKeys: [watched.publicKey], onEvent: c2.onEvent }).runOnce();
    expect(c2.of('alert')).toMatchObject([{ alert: 'invalid-leaf-signature', index: 3n, keyHash: toHex(keyHash(watched.publicKey)) }]);
    expect(c2.of('leaf').map((e) => e.index)).toEqual([0n, 1n, 2n]);
  });

  it('alarms on a bad log signature, a missed quorum and a stale tree head', async () => {
    evil.leaves = await leavesOf(watched, 'e', 1);
    evil.badSignature = true;
    const c = collect();
    await new Monitor({ policy: evil.policy(), submitKeys: [watched.publicKey], onEvent: c.onEvent }).runOnce();
    expect(c.of('alert')).toMatchObject([{ alert: 'invalid-log-signature', severity: 'critical' }]);
    evil.badSignature = false;

    // Quorum: the policy requires the witness but it has not cosigned.
    evil.cosignTime = undefined;
    const c2 = collect();
    await new Monitor({ policy: evil.policy(true), submitKeys: [watched.publicKey], onEvent: c2.onEvent }).runOnce();
    expect(c2.of('alert')).toMatchObject([{ alert: 'quorum-not-met', severity: 'warning' }]);
    expect(c2.of('leaf')).toHaveLength(1); // the log's signed head still commits to the leaves

    // Freshness: the newest cosignature is an hour old, the limit is ten minutes.
    const now = Math.floor(Date.now() / 1000) * 1000; // whole seconds, like cosignature timestamps
    evil.cosignTime = BigInt(Math.floor(now / 1000) - 3600);
    const c3 = collect();
    await new Monitor({ policy: evil.policy(true), submitKeys: [watched.publicKey], onEvent: c3.onEvent, maxTreeHeadAgeMs: 600_000, now: () => now }).runOnce();
    expect(c3.of('alert')).toMatchObject([{ alert: 'stale-tree-head', message: 'tree head is 3600 s old (limit 600 s) by its newest cosignature' }]);
    // A fresh cosignature passes.
    evil.cosignTime = BigInt(Math.floor(now / 1000) - 5);
    const c4 = collect();
    await new Monitor({ policy: evil.policy(true), submitKeys: [watched.publicKey], onEvent: c4.onEvent, maxTreeHeadAgeMs: 600_000, now: () => now }).runOnce();
    expect(c4.of('alert')).toEqual([]);
  });

  it('sets aside a cosignature dated beyond the allowed skew, names its witness, and judges freshness without it', async () => {
    evil.leaves = await leavesOf(watched, 'skew', 1);
    let now = Math.floor(Date.now() / 1000) * 1000;
    // A witness whose clock is ten years ahead.
    evil.cosignTime = BigInt(Math.floor(now / 1000) + 10 * 365 * 86_400);
    const c = collect();
    const m = new Monitor({ policy: evil.policy(true), submitKeys: [], onEvent: c.onEvent, maxTreeHeadAgeMs: 600_000, maxCosignatureSkewMs: 60_000, now: () => now });
    await m.runOnce();
    const w = toHex(keyHash(evil.witness.publicKey));
    expect(c.of('alert')).toEqual([
      { type: 'alert', alert: 'future-cosignature', severity: 'warning', log: toHex(keyHash(evil.signer.publicKey)), witness: w, message: `witness w (${w}) dated its cosignature ${10 * 365 * 86_400} s in the future; not counted for freshness` },
    ]);
    // An hour later the same head is stale: the future cosignature does not keep it fresh.
    now += 3_600_000;
    c.events.length = 0;
    await m.runOnce();
    expect(c.of('alert').map((a) => a.alert)).toEqual(['future-cosignature', 'stale-tree-head']);
    expect(c.of('alert')[1]!.message).toBe('tree head is 3600 s old (limit 600 s)');
  });

  it('accepts a cosignature dated within the allowed skew', async () => {
    evil.leaves = await leavesOf(watched, 'skew-ok', 1);
    const now = Math.floor(Date.now() / 1000) * 1000;
    evil.cosignTime = BigInt(Math.floor(now / 1000) + 30);
    const c = collect();
    await new Monitor({ policy: evil.policy(true), submitKeys: [], onEvent: c.onEvent, maxTreeHeadAgeMs: 600_000, maxCosignatureSkewMs: 60_000, now: () => now }).runOnce();
    expect(c.of('alert')).toEqual([]);
  });

  it('judges freshness by the newest time a quorum of witnesses cosigned, not by one fresh witness', async () => {
    evil.leaves = await leavesOf(watched, 'quorum-age', 1);
    const now = Math.floor(Date.now() / 1000) * 1000;
    const second = SeedSigner.generate();
    evil.cosignTime = BigInt(Math.floor(now / 1000) - 3600);
    evil.moreWitnesses = [{ signer: second, time: BigInt(Math.floor(now / 1000) - 5) }];
    try {
      const policy = parsePolicy(
        `log ${toHex(evil.signer.publicKey)} ${evil.url}\nwitness w ${toHex(evil.witness.publicKey)}\nwitness v ${toHex(second.publicKey)}\ngroup both 2 w v\nquorum both\n`,
      );
      const c = collect();
      await new Monitor({ policy, submitKeys: [], onEvent: c.onEvent, maxTreeHeadAgeMs: 600_000, now: () => now }).runOnce();
      expect(c.of('alert')).toMatchObject([{ alert: 'stale-tree-head', message: 'tree head is 3600 s old (limit 600 s) by the newest time a quorum of witnesses cosigned' }]);
    } finally {
      evil.moreWitnesses = [];
    }
  });

  it('the CLI prints sigsum-monitor’s text lines: the leaves summary before the index lines', async () => {
    evil.leaves = [...(await leavesOf(watched, 'text', 2)), ...(await leavesOf(other, 'text', 1))];
    evil.cosignTime = BigInt(Math.floor(Date.now() / 1000));
    const r = await new Promise<{ code: number | null; stdout: string }>((res, rej) => {
      const p = spawn(process.execPath, [CLI, 'monitor', '--once', '-p', policyFile, 'watched.pub'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', rej);
      p.on('close', (code) => res({ code, stdout: out }));
    });
    const log = toHex(keyHash(evil.signer.publicKey));
    const line = (l: Leaf, i: number): string => `  index ${i} keyhash ${toHex(l.keyHash)} checksum ${toHex(l.checksum)}\n`;
    expect(r).toEqual({ code: 0, stdout: `New ${log} tree, size 3\nNew ${log} leaves, count 2, total processed 3\n${line(evil.leaves[0]!, 0)}${line(evil.leaves[1]!, 1)}` });
  });

  it('the CLI keeps following the log until SIGTERM, then exits cleanly', async () => {
    evil.leaves = await leavesOf(watched, 'loop', 2);
    evil.badSignature = false;
    evil.cosignTime = BigInt(Math.floor(Date.now() / 1000));
    const p = spawn(process.execPath, [CLI, 'monitor', '--json', '-i', '200ms', '-p', policyFile, 'watched.pub'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const lines = (): Record<string, unknown>[] => out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((res) => p.on('close', (code) => res(code)));
    // First round: the head and both leaves; then a third leaf shows up in a later round.
    for (let i = 0; i < 600 && lines().filter((e) => e.type === 'leaf').length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    evil.leaves = [...evil.leaves, ...(await leavesOf(watched, 'loop-more', 1))];
    for (let i = 0; i < 600 && lines().filter((e) => e.type === 'leaf').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines().filter((e) => e.type === 'leaf').map((e) => e.index)).toEqual([0, 1, 2]);
    expect(lines().filter((e) => e.type === 'tree-head').map((e) => e.size)).toEqual([2, 3]);
  });

  it('refuses a damaged state file, naming it', async () => {
    const bad = join(dir, 'bad.state');
    writeFileSync(bad, '{"version":1,"keys":[],"logs":{"zz":{}}}');
    await expect(new Monitor({ policy: evil.policy(), submitKeys: [], onEvent: () => undefined, stateFile: bad }).runOnce()).rejects.toMatchObject({
      code: 'monitor.state',
      message: `${bad}: log zz: invalid log entry`,
    });
    writeFileSync(bad, 'not json');
    await expect(new Monitor({ policy: evil.policy(), submitKeys: [], onEvent: () => undefined, stateFile: bad }).runOnce()).rejects.toMatchObject({ code: 'monitor.state' });
  });

  it('reports an unreachable log as a warning', async () => {
    const c = collect();
    const p = parsePolicy(`log ${toHex(evil.signer.publicKey)} http://127.0.0.1:1/\nquorum none\n`);
    await new Monitor({ policy: p, submitKeys: [], onEvent: c.onEvent, requestTimeoutMs: 2000 }).runOnce();
    expect(c.of('alert')).toMatchObject([{ alert: 'log-unreachable', severity: 'warning', message: expect.stringMatching(/^get-tree-head failed: /) }]);
  });
});
