/**
 * Helpers for the log's integration tests: run the real `sigsum-log` binary
 * (built dist/) on 127.0.0.1 with random ports and a temp data directory,
 * and make signed add-leaf requests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  SeedSigner,
  checksumOf,
  keyHash,
  leafHashOf,
  serializeAddLeafRequest,
  sha256,
  signLeaf,
  utf8,
} from '@sigsum-kit/sdk';

/** Path of the built CLI. */
export const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'sigsum-log-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run `sigsum-log init --dir <dir>` and patch the config with `overrides`. */
export function initLog(dir: string, overrides: Record<string, unknown> = {}): string {
  const r = spawnSync(process.execPath, [CLI, 'init', '--dir', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`init failed: ${r.stderr}`);
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  // Tests publish every second (production default: 10 s), which needs a higher promised witness rate.
  Object.assign(config, { listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', logLevel: 'info', intervalMs: 1000, witnessRequestsPerDay: 864_000 }, overrides);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return configPath;
}

/** A running `sigsum-log primary` process. */
export interface LogProcess {
  /** Public base URL (ends in /). */
  url: string;
  /** Internal base URL (ends in /). */
  internalUrl: string;
  /** The child process. */
  proc: ChildProcess;
  /** Everything written to stdout/stderr so far. */
  output(): string;
  /** Send a signal and wait for exit; resolves with the exit code/signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start `sigsum-log primary -c <configPath>` and wait for its "log started" line.
 * `openFileLimit` runs it under `ulimit -n` (a real descriptor limit).
 */
export function startLogProcess(configPath: string, extraArgs: string[] = [], opts: { openFileLimit?: number } = {}): Promise<LogProcess> {
  const args = [CLI, 'primary', '-c', configPath, ...extraArgs];
  const proc =
    opts.openFileLimit === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${opts.openFileLimit} && exec "$0" "$@"`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  return new Promise((resolveStart, reject) => {
    let started = false;
    const timer = setTimeout(() => {
      if (!started) {
        proc.kill('SIGKILL');
        reject(new Error(`log did not start within 15 s: ${out}`));
      }
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (started) return;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        let j: { msg?: string; url?: string; internalUrl?: string };
        try {
          j = JSON.parse(line) as typeof j;
        } catch {
          continue;
        }
        if (j.msg === 'log started' && j.url !== undefined) {
          started = true;
          clearTimeout(timer);
          resolveStart({
            url: j.url,
            internalUrl: j.internalUrl ?? '',
            proc,
            output: () => out,
            stop: (signal = 'SIGTERM') => {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
              return exited;
            },
          });
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((r) => {
      if (!started) reject(new Error(`log exited before starting (${JSON.stringify(r)}): ${out}`));
    });
  });
}

/** Wait for a process started by {@link startLogProcess}-like spawn to exit; returns code and output. */
export function runToExit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run the CLI on a pseudo-terminal (script(1)); its output as the terminal shows it (stdout and stderr together). */
export function runOnTty(args: string[]): Promise<{ status: number | null; out: string }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const p = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((res) => p.on('close', (status) => res({ status, out })));
}

/** A signed submission: the add-leaf body and the leaf hash the log will store. */
export interface Submission {
  /** add-leaf request body. */
  body: string;
  /** RFC 6962 leaf hash of the resulting leaf. */
  leafHash: Uint8Array;
}

/** Make `n` distinct submissions signed by one deterministic key. */
export async function makeSubmissions(n: number, label = 'submitter'): Promise<Submission[]> {
  const signer = new SeedSigner(sha256(utf8(`sigsum-kit test ${label}`)));
  const kh = keyHash(signer.publicKey);
  const out: Submission[] = [];
  for (let i = 0; i < n; i++) {
    const message = sha256(utf8(`${label} message ${i}`));
    const signature = await signLeaf(signer, message);
    out.push({
      body: serializeAddLeafRequest({ message, signature, publicKey: signer.publicKey }),
      leafHash: leafHashOf({ checksum: checksumOf(message), signature, keyHash: kh }),
    });
  }
  return out;
}

/** POST add-leaf until it answers 200 (202 → wait and retry). Returns the number of tries. */
export async function submitUntilSequenced(url: string, body: string, pollMs = 50, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    const r = await fetch(url + 'add-leaf', { method: 'POST', body });
    await r.arrayBuffer();
    if (r.status === 200) return tries;
    if (r.status !== 202) throw new Error(`add-leaf answered ${r.status}`);
    if (Date.now() > deadline) throw new Error('leaf not sequenced in time');
    await new Promise((res) => setTimeout(res, pollMs));
  }
}

/** GET a URL; returns status and text. */
export async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Every file below `dir` (paths include `dir`), depth first. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
