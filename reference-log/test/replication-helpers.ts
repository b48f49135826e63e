/**
 * Helpers of the hot-standby tests: real `sigsum-log` processes (primary,
 * secondary, witness) on 127.0.0.1 with temp directories, free ports chosen
 * up front (primary and secondary must name each other in their configs),
 * and a submitter that records every leaf that got a 200.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeedSigner, checksumOf, keyHash, leafHashOf, serializeAddLeafRequest, sha256, signLeaf, toHex, utf8, verifyConsistency, type LogClient, type TreeHead } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { afterAll, expect } from 'vitest';
import { CLI, pool, tempDir } from './log-helpers.js';

import { freePort } from '../../scripts/ports.mjs';

export { freePort };

/** Run the CLI to completion. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run the CLI to completion without blocking this process (so in-process servers keep answering). */
export function runCliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  return new Promise((res) => proc.on('close', (status) => res({ status, stdout, stderr })));
}

/** Patch a JSON config file. */
export function patchConfig(path: string, overrides: Record<string, unknown>): void {
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...c, ...overrides }, null, 2));
}

/** `init` a node in `dir` (a secondary of `secondaryOf` if given) and patch its config. */
export function initNode(dir: string, overrides: Record<string, unknown>, secondaryOf?: string): string {
  const r = runCli(['init', '--dir', dir, ...(secondaryOf === undefined ? [] : ['--secondary-of', secondaryOf])]);
  if (r.status !== 0) throw new Error(`init failed: ${r.stderr}`);
  const path = join(dir, 'config.json');
  // Tests publish every second (production default: 10 s), which needs a higher promised witness rate.
  patchConfig(path, { logLevel: 'info', intervalMs: 1000, witnessRequestsPerDay: 864_000, ...overrides });
  return path;
}

/** A running `sigsum-log` node process. */
export interface NodeProcess {
  proc: ChildProcess;
  /** Everything written to stdout/stderr so far. */
  output(): string;
  /** The JSON log lines so far. */
  lines(): { msg?: string; [k: string]: unknown }[];
  /** Whether the process has exited. */
  exited(): boolean;
  /** Signal and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawn `sigsum-log <args>` and wait until a JSON line with `msg === ready` appears (or the output matches `ready`). */
export function startNode(args: string[], ready: string | RegExp, timeoutMs = 20_000): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => {
      done = true;
      res({ code, signal });
    }),
  );
  const lines = (): { msg?: string }[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as { msg?: string }];
        } catch {
          return [];
        }
      });
  const node: NodeProcess = {
    proc,
    output: () => out,
    lines,
    exited: () => done,
    stop: (signal = 'SIGTERM') => {
      if (!done) proc.kill(signal);
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    const onData = (b: Buffer): void => {
      out += b.toString('utf8');
      if (typeof ready === 'string' ? lines().some((l) => l.msg === ready) : ready.test(out)) {
        clearTimeout(timer);
        resolve(node);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited before starting (${JSON.stringify(r)}): ${out}`));
    });
  });
}

/** Start a reference witness for `logKeyHex` with a fresh key in `dir`; resolves with its URL. */
export async function startWitnessNode(dir: string, name: string, logKeyHex: string): Promise<{ node: NodeProcess; url: string; publicKey: Uint8Array }> {
  const key = await generateKeyFiles(join(dir, `${name}.key`));
  const port = await freePort();
  const node = await startNode(
    ['witness', '-k', join(dir, `${name}.key`), '--state-db', join(dir, `${name}.db`), '--log-key', logKeyHex, '--listen', `127.0.0.1:${port}`],
    /witness listening on/,
  );
  return { node, url: `http://127.0.0.1:${port}`, publicKey: key.publicKey };
}

/** A primary/secondary pair's addresses. */
export interface PairPorts {
  pub: number;
  internal: number;
  secondary: number;
}

/** Pick the three ports of a primary/secondary pair. */
export async function pairPorts(): Promise<PairPorts> {
  return { pub: await freePort(), internal: await freePort(), secondary: await freePort() };
}

/** GET and return status and text. */
export async function getText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { headers });
  return { status: r.status, text: await r.text() };
}

/** A `key=value` field of a health body. */
export function field(text: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
}

/** Poll `cond` every `ms` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000, ms = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return true;
    } catch {
      // not yet reachable
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, ms));
  }
}

/** One signed leaf: its add-leaf body and leaf hash. */
export interface TestLeaf {
  body: string;
  leafHash: Uint8Array;
  hex: string;
}

/** Makes distinct signed leaves with one deterministic submitter key. */
export class LeafFactory {
  readonly #signer: SeedSigner;
  readonly #kh: Uint8Array;
  #n = 0;
  constructor(readonly label: string) {
    this.#signer = new SeedSigner(sha256(utf8(`replication tests ${label}`)));
    this.#kh = keyHash(this.#signer.publicKey);
  }
  /** The submitter's public key. */
  get publicKey(): Uint8Array {
    return this.#signer.publicKey;
  }
  async next(): Promise<TestLeaf> {
    const message = sha256(utf8(`${this.label} leaf ${this.#n++}`));
    const signature = await signLeaf(this.#signer, message);
    const leafHash = leafHashOf({ checksum: checksumOf(message), signature, keyHash: this.#kh });
    return { body: serializeAddLeafRequest({ message, signature, publicKey: this.#signer.publicKey }), leafHash, hex: toHex(leafHash) };
  }
}

/**
 * A temp directory and a list of node processes for one test file, both
 * cleaned up after its tests (processes SIGKILLed, so a failed test leaves nothing running).
 */
export function scratchSpace(prefix: string): { tmp: { dir: string; cleanup: () => void }; running: NodeProcess[] } {
  const tmp = tempDir(prefix);
  const running: NodeProcess[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    tmp.cleanup();
  });
  return { tmp, running };
}

/**
 * Add-leaf load that survives failovers: each submitter makes a leaf and
 * re-sends it to `target.url` (whichever node is primary now) until it is
 * answered 200, through 202s and refused connections. Any other status is
 * recorded in `unexpected`. Extra loops (head watchers, monitors) run beside
 * the submitters while `running` is true.
 */
export class SubmitLoad {
  /** Leaves answered 200, by leaf hash hex. */
  readonly acknowledged = new Map<string, Uint8Array>();
  /** Answers other than 200 and 202. */
  readonly unexpected: string[] = [];
  #running = false;
  #all: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly factory: LeafFactory,
    private readonly target: { url: string },
    private readonly retryMs = 25,
  ) {}

  /** Whether the load is running; extra loops poll it. */
  get running(): boolean {
    return this.#running;
  }

  /** Start `submitters` submitters and the extra loops. */
  start(submitters: number, ...loops: (() => Promise<void>)[]): void {
    this.#running = true;
    this.#all = Promise.all([...Array.from({ length: submitters }, () => this.#submitter()), ...loops.map((l) => l())]);
  }

  /** Stop every loop and wait for them to end (a leaf in flight is abandoned). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#all;
  }

  async #submitter(): Promise<void> {
    while (this.#running) {
      const leaf = await this.factory.next();
      while (this.#running) {
        try {
          const r = await fetch(this.target.url + 'add-leaf', { method: 'POST', body: leaf.body });
          await r.arrayBuffer();
          if (r.status === 200) {
            this.acknowledged.set(leaf.hex, leaf.leafHash);
            break;
          }
          if (r.status !== 202) this.unexpected.push(`add-leaf answered ${r.status}`);
        } catch {
          // The primary is down (failover or cut-over): keep the leaf for the next primary.
        }
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
  }
}

/**
 * Every head seen is consistent with `final`: equal sizes have equal roots,
 * and a consistency proof from the log links each size to the final one.
 */
export async function expectConsistentWithFinal(heads: readonly TreeHead[], final: TreeHead, client: LogClient): Promise<Map<bigint, TreeHead>> {
  const bySize = new Map<bigint, TreeHead>();
  for (const h of heads) {
    const prev = bySize.get(h.size);
    if (prev !== undefined) expect(toHex(prev.rootHash), `two roots for size ${h.size}`).toBe(toHex(h.rootHash));
    bySize.set(h.size, h);
  }
  await pool([...bySize.values()], 8, async (h) => {
    if (h.size === 0n) return;
    const p = await client.getConsistencyProof(h.size, final.size);
    verifyConsistency(h.size, final.size, h.rootHash, final.rootHash, p.path);
  });
  return bySize;
}
