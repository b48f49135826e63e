// A log and a witness whose keys live in SoftHSM 2 tokens (real processes,
// real tokens in temp directories): init --pkcs11, cosigned heads the SDK
// verifies, the token disappearing and coming back mid-run, wrong PIN, wrong
// key, an extractable key, and `sigsum submit -k pkcs11:...`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  formatOpenSshPublicKey,
  keyHash,
  parseCosignedTreeHeadBody,
  parseOpenSshPublicKey,
  parsePolicy,
  parseProof,
  toHex,
  verifyCosignedTreeHead,
  verifyProof,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';
import { CLI, makeSubmissions, startLogProcess, submitUntilSequenced, tempDir, type LogProcess } from './log-helpers.js';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../../sdk/test/softhsm.js';

const SIGSUM_CLI = resolve(import.meta.dirname, '../../sdk/dist/cli/main.js');

let tmp: { dir: string; cleanup: () => void };
let logHsm: SoftHsm;
let witnessHsm: SoftHsm;
let witness: { proc: ChildProcess; url: string; output: () => string } | undefined;
let log: LogProcess | undefined;
let logKey: Uint8Array;
let witnessKey: Uint8Array;
let policyText: string;
let configPath: string;

function startWitnessProcess(args: string[], env: Record<string, string>): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  const proc = spawn(process.execPath, [CLI, 'witness', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`witness did not start: ${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /witness listening on (http:\/\/\S+) /.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        res({ proc, url: m[1]!, output: () => out });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', () => rej(new Error(`witness exited: ${out}`)));
  });
}

type Run = { status: number | null; stdout: string; stderr: string };
/** Run a CLI to completion without blocking (the start-up refusals run beside the other tests). */
function runAsync(cli: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => proc.on('close', (status) => res({ status, stdout, stderr })));
}
const WRONG_PIN = '40404040';
let refusals: { wrongPin: Promise<Run>; wrongKey: Promise<Run>; noPub: Promise<Run>; extractable: Promise<Run> };

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${log!.internalUrl}metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function treeHead(): Promise<CosignedTreeHead> {
  const r = await fetch(`${log!.url}get-tree-head`);
  expect(r.status).toBe(200);
  return parseCosignedTreeHeadBody(await r.text());
}

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  tmp = tempDir('sigsum-pkcs11-log-');
  logHsm = createSoftHsm('softhsm-log-');
  witnessHsm = createSoftHsm('softhsm-witness-');
  // The log, `sigsum submit` and init run with the log's token; the witness gets its own.
  process.env.SOFTHSM2_CONF = logHsm.env.SOFTHSM2_CONF;
  logHsm.initToken('log');
  logHsm.keygen('log', 'submitter', '05');
  logHsm.keygen('log', 'exportable', '06', { extractable: true });
  witnessHsm.initToken('witness');
  witnessHsm.keygen('witness', 'witness', '01');
  witnessKey = witnessHsm.publicKey('witness', 'witness');

  // init generates the log key inside the token and writes its public key and a policy line.
  const init = spawnSync(process.execPath, [CLI, 'init', '--dir', tmp.dir, '--pkcs11', logHsm.uri('log', 'sigsum-log')], { encoding: 'utf8' });
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  logKey = parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'log.key.pub'), 'utf8').trim()).publicKey;
  expect(logKey).toEqual(logHsm.publicKey('log', 'sigsum-log'));
  expect(init.stdout).toContain('private key: generated in the token (pkcs11:token=log;object=sigsum-log;id=');
  const policyLine = /policy line: (log [0-9a-f]{64}) /.exec(init.stdout);
  expect(policyLine?.[1]).toBe(`log ${toHex(logKey)}`);

  const witnessPub = join(tmp.dir, 'witness.pub');
  writeFileSync(witnessPub, formatOpenSshPublicKey(witnessKey));
  witness = await startWitnessProcess(
    ['-k', witnessHsm.uri('witness', 'witness'), '--public-key', witnessPub, '--state-db', join(tmp.dir, 'witness.db'), '--log-key', toHex(logKey), '--listen', '127.0.0.1:0'],
    witnessHsm.env,
  );
  policyText = [`log ${toHex(logKey)}`, `witness W ${toHex(witnessKey)} ${witness.url}`, 'quorum W', ''].join('\n');
  writeFileSync(join(tmp.dir, 'policy'), policyText);
  configPath = initLogConfig();
  log = await startLogProcess(configPath);
  // Started once the log runs, so that they overlap the tests rather than the log's start-up.
  const wrongPinUri = `pkcs11:token=log;object=sigsum-log?module-path=${SOFTHSM_MODULE}&pin-source=env:LOG_PIN`;
  refusals = {
    wrongPin: runAsync(CLI, ['primary', '-c', variantConfig('wrong-pin', { keyFile: wrongPinUri })], { LOG_PIN: WRONG_PIN }),
    wrongKey: runAsync(CLI, ['primary', '-c', variantConfig('wrong-key', { keyFile: logHsm.uri('log', 'submitter') })]),
    noPub: runAsync(CLI, ['primary', '-c', variantConfig('no-pub', { publicKeyFile: '' })]),
    extractable: runAsync(CLI, ['init', '--dir', join(tmp.dir, 'extractable'), '--pkcs11', logHsm.uri('log', 'exportable')]),
  };
}, 60_000);

afterAll(async () => {
  await log?.stop();
  witness?.proc.kill();
  tmp?.cleanup();
  logHsm?.cleanup();
  witnessHsm?.cleanup();
});

/** The config init wrote, with test listeners, a fast interval and the witness policy. */
function initLogConfig(): string {
  const path = join(tmp.dir, 'config.json');
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  expect(c.keyFile).toMatch(/^pkcs11:token=log;object=sigsum-log;id=/);
  expect(c.publicKeyFile).toBe('log.key.pub');
  Object.assign(c, { listen: '127.0.0.1:0', internalListen: '127.0.0.1:0', intervalMs: 200, witnessRequestsPerDay: 432_000, witnessTimeoutMs: 3000, policyFile: 'policy' });
  writeFileSync(path, JSON.stringify(c, null, 2));
  return path;
}

/** A copy of the log's config with some keys changed (for start-up refusals; same database is never opened). */
function variantConfig(name: string, changes: Record<string, unknown>): string {
  const c = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const path = join(tmp.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...c, dataDir: `data-${name}`, storage: 'memory', ...changes }, null, 2));
  return path;
}

describe('log and witness keys in SoftHSM', () => {
  it('publishes heads signed in the token and cosigned by a witness whose key is in a token; the SDK verifies them', async () => {
    for (const s of await makeSubmissions(3, 'pkcs11')) await submitUntilSequenced(log!.url, s.body);
    const head = await until(treeHead, (h) => h.size >= 3n && h.cosignatures.length === 1, 'a cosigned head of size 3');
    expect(toHex(head.cosignatures[0]!.keyHash)).toBe(toHex(keyHash(witnessKey)));
    expect((await verifyCosignedTreeHead(parsePolicy(policyText), keyHash(logKey), head)).ok).toBe(true);
    expect(await metric('sigsum_log_signer_up')).toBe(1);
  });

  it('stops publishing while the token is unreadable, keeps serving the last head, and resumes when it is back', async () => {
    // The start-up refusals share this token: let them finish before it disappears.
    await Promise.all(Object.values(refusals));
    const before = await until(treeHead, (h) => h.size >= 3n, 'a head');
    const errorsBefore = await metric('sigsum_log_signer_errors_total');
    logHsm.hideTokens();
    let restored = false;
    try {
      await until(() => metric('sigsum_log_signer_up'), (v) => v === 0, 'signer_up 0');
      const subs = await makeSubmissions(2, 'during-outage');
      // Accepted and stored, but no head covers them while nothing can be signed: 202, never 200.
      for (const s of subs) expect((await fetch(log!.url + 'add-leaf', { method: 'POST', body: s.body })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 600)); // three publish rounds
      for (const s of subs) expect((await fetch(log!.url + 'add-leaf', { method: 'POST', body: s.body })).status).toBe(202);
      const during = await treeHead();
      expect(during.size).toBe(before.size);
      expect(toHex(during.rootHash)).toBe(toHex(before.rootHash));
      expect(await metric('sigsum_log_signer_errors_total')).toBeGreaterThan(errorsBefore);
      expect(log!.proc.exitCode).toBeNull();
      logHsm.restoreTokens();
      restored = true;
      const after = await until(treeHead, (h) => h.size >= before.size + 2n && h.cosignatures.length === 1, 'a head after the token is back');
      expect((await verifyCosignedTreeHead(parsePolicy(policyText), keyHash(logKey), after)).ok).toBe(true);
      expect(await metric('sigsum_log_signer_up')).toBe(1);
    } finally {
      if (!restored) logHsm.restoreTokens();
    }
    expect(log!.output()).toMatch(/"err":"Pkcs11SignerError: [^"]*: signing failed: CKR_[A-Z_]+","msg":"publishing a tree head failed"/);
  });

  it('never writes the PIN to its output', () => {
    expect(log!.output()).not.toContain(logHsm.pin);
    expect(witness!.output()).not.toContain(witnessHsm.pin);
  });

  it('refuses to start with a wrong PIN, without printing either PIN', async () => {
    const r = await refusals.wrongPin;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: \/usr\/lib\/softhsm\/libsofthsm2\.so: login refused: CKR_PIN_INCORRECT\n$/);
    expect(r.stderr + r.stdout).not.toContain(WRONG_PIN);
    expect(r.stderr + r.stdout).not.toContain(logHsm.pin);
  });

  it('refuses to start when the token key is not the configured log key', async () => {
    const r = await refusals.wrongKey;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: \/usr\/lib\/softhsm\/libsofthsm2\.so: the token's key [0-9a-f]{64} is not the configured key [0-9a-f]{64}\n$/);
  });

  it('refuses a pkcs11: key without publicKeyFile', async () => {
    const r = await refusals.noPub;
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sigsum-log: publicKeyFile: required when keyFile is a pkcs11: URI (the public key the token must hold)\n');
  });

  it('flags an extractable key at init', async () => {
    const r = await refusals.extractable;
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('private key: existing key in the token');
    expect(r.stderr.split('\n')[0]).toBe('sigsum-log: warning: the private key object="exportable" is extractable (CKA_EXTRACTABLE true): it can leave the token');
  });

  it('sigsum submit -k pkcs11:... signs leaves in the token', async () => {
    writeFileSync(join(tmp.dir, 'release.tar'), 'release artefact\n');
    const policyPath = join(tmp.dir, 'submit-policy');
    writeFileSync(policyPath, policyText.replace(`log ${toHex(logKey)}`, `log ${toHex(logKey)} ${log!.url}`));
    const r = spawnSync(
      process.execPath,
      [SIGSUM_CLI, 'submit', '-k', logHsm.uri('log', 'submitter'), '-p', policyPath, '--poll-interval', '100ms', '--diagnostics', 'warning', '-o', join(tmp.dir, 'release.tar.proof'), join(tmp.dir, 'release.tar')],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const proof = parseProof(readFileSync(join(tmp.dir, 'release.tar.proof')));
    const v = await verifyProof(proof, { data: readFileSync(join(tmp.dir, 'release.tar')), submitterKeys: [logHsm.publicKey('log', 'submitter')], policy: parsePolicy(policyText) });
    expect(v.ok).toBe(true);
  });

  // Last: it stops the witness. Before, the witness waited for its event loop
  // to empty after closing, which the token's worker thread never let happen.
  it('the witness with its key in a token closes and exits 0 on SIGTERM', async () => {
    const { proc, output } = witness!;
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('shutting down');
  });
});
