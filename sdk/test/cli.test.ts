/**
 * The `sigsum` command end to end: real processes (the built CLI and the
 * reference log's `sigsum-log primary`), real HTTP on 127.0.0.1, temp dirs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtinPolicyNames, keyHash, parsePolicy, parseProof, parseOpenSshPublicKey, toHex, verifyProof, type Policy } from '@sigsum-kit/sdk';
import { DEFAULT_MAX_FILE_BYTES } from '@sigsum-kit/sdk/node';
import { startTestDnsServer, type TestDnsServer } from '../../reference-log/test/ratelimit-dns-server.js';

// Real processes on a shared 2-core machine: allow for slow starts under load.
vi.setConfig({ testTimeout: 120_000 });

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
const LOG_CLI = resolve(import.meta.dirname, '../../reference-log/dist/cli/main.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the sigsum CLI. */
function sigsum(args: string[], opts: { input?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? dir, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
    p.stdin.end(opts.input ?? '');
  });
}

let dir: string;
let logProc: ChildProcess;
let logUrl: string;
let logPub: string;
let policyFile: string;
let policy: Policy;

async function startLog(logDir: string, overrides: Record<string, unknown> = {}, init = true): Promise<{ proc: ChildProcess; url: string }> {
  if (init) execFileSync(process.execPath, [LOG_CLI, 'init', '--dir', logDir], { stdio: 'ignore' });
  const cfgPath = join(logDir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  Object.assign(cfg, { listen: '127.0.0.1:0', internalListen: '', intervalMs: 200, witnessRequestsPerDay: 432_000 }, overrides);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const proc = spawn(process.execPath, [LOG_CLI, 'primary', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`log did not start: ${out}`));
    }, 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"[^\n]*"msg":"log started"|"msg":"log started"[^\n]*"url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(t);
        res(m[1] ?? m[2]!);
      }
    });
    proc.on('exit', () => rej(new Error(`log exited: ${out}`)));
  });
  return { proc, url };
}

beforeAll(async () => {
  if (!existsSync(CLI) || !existsSync(LOG_CLI)) throw new Error('build first: npx tsc -b');
  dir = mkdtempSync(join(tmpdir(), 'sigsum-cli-test-'));
  const log = await startLog(join(dir, 'log'));
  logProc = log.proc;
  logUrl = log.url;
  logPub = readFileSync(join(dir, 'log', 'log.key.pub'), 'utf8');
  const hex = parseOpenSshPublicKey(logPub.trim()).publicKey;
  policyFile = join(dir, 'policy');
  writeFileSync(policyFile, `log ${toHex(hex)} ${logUrl}\nquorum none\n`);
  policy = parsePolicy(readFileSync(policyFile));
  expect((await sigsum(['key', 'generate', '-o', 'submitter.key'])).code).toBe(0);
  expect((await sigsum(['key', 'generate', '-o', 'other.key'])).code).toBe(0);
}, 120_000);

afterAll(() => {
  logProc?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('command line basics', () => {
  it('--version, --help, help and exit codes', async () => {
    const version = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')).version as string;
    expect(await sigsum(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(await sigsum(['version'])).toMatchObject({ code: 0, stdout: `sigsum (sigsum-kit) ${version}\n` });
    const help = await sigsum(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['key', 'submit', 'verify', 'token', 'policy', 'monitor']) expect(help.stdout).toContain(`  ${c}`);
    for (const c of [['key', 'generate'], ['submit'], ['verify'], ['token', 'create'], ['monitor'], ['policy', 'check']]) {
      const r = await sigsum([...c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: sigsum ${c.join(' ')}`);
    }
    expect(await sigsum([])).toMatchObject({ code: 2 });
    expect(await sigsum(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown command 'frobnicate'") });
    expect(await sigsum(['key', 'to-hex', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown option '--bogus'") });
    expect(await sigsum(['key', 'sign'])).toMatchObject({ code: 2, stderr: expect.stringContaining("error: required option '-k, --signing-key <key-file>' not specified") });
    expect(await sigsum(['submit', '-p', policyFile, '-P', 'sigsum-test1-2025', 'x'])).toMatchObject({
      code: 2,
      stderr: 'sigsum: -p (--policy) and -P (--named-policy) cannot be used together\n',
    });
    expect(await sigsum(['submit', '-o', 'out', 'a', 'b'])).toMatchObject({ code: 2, stderr: 'sigsum: -o (--output) works only with a single input\n' });
    expect(await sigsum(['submit', '--leaf-hash', '-p', policyFile])).toMatchObject({ code: 2, stderr: 'sigsum: --leaf-hash cannot be combined with -p or -P\n' });
  });
});

describe('sigsum key', () => {
  it('generates keys (0600) and converts between formats', async () => {
    expect(statSync(join(dir, 'submitter.key')).mode & 0o777).toBe(0o600);
    const pubText = readFileSync(join(dir, 'submitter.key.pub'), 'utf8');
    const pub = parseOpenSshPublicKey(pubText.trim()).publicKey;
    // GNU option forms: -kFILE, --key=FILE, --key FILE, stdin.
    for (const args of [['-ksubmitter.key.pub'], ['--key=submitter.key.pub'], ['--key', 'submitter.key.pub'], []]) {
      expect(await sigsum(['key', 'to-hex', ...args], { input: pubText })).toMatchObject({ code: 0, stdout: toHex(pub) + '\n' });
    }
    expect(await sigsum(['key', 'from-hex'], { input: toHex(pub) + '\n' })).toMatchObject({ code: 0, stdout: pubText });
    expect(await sigsum(['key', 'to-hash', '-k', 'submitter.key.pub'])).toMatchObject({ code: 0, stdout: toHex(keyHash(pub)) + '\n' });
    const vkey = await sigsum(['key', 'to-vkey', '-k', 'submitter.key.pub']);
    expect(vkey.stdout).toMatch(new RegExp(`^sigsum\\.org/v1/tree/${toHex(keyHash(pub))}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]+\\n$`));
    expect(await sigsum(['key', 'from-vkey', '-v'], { input: vkey.stdout })).toMatchObject({ code: 0, stdout: pubText, stderr: expect.stringContaining('key type: 0x01 (ed25519)') });
    expect(await sigsum(['key', 'to-vkey', '-t', 'cosignature/v1', '-k', 'submitter.key.pub'])).toMatchObject({ code: 2, stderr: 'sigsum: key name (-n) is required for cosignature/v1 keys\n' });
    expect((await sigsum(['key', 'to-vkey', '-t', 'cosignature/v1', '-n', 'witness.example', '-k', 'submitter.key.pub', '-o', 'w.vkey'])).code).toBe(0);
    expect(readFileSync(join(dir, 'w.vkey'), 'utf8')).toMatch(/^witness\.example\+[0-9a-f]{8}\+/);
    // A vkey whose key ID does not match is refused.
    const bad = vkey.stdout.replace(/\+([0-9a-f]{8})\+/, (_m, id: string) => `+${id === '00000000' ? '00000001' : '00000000'}+`);
    expect(await sigsum(['key', 'from-vkey'], { input: bad })).toMatchObject({ code: 1, stderr: expect.stringContaining('[vkey.key-id]') });
    expect(await sigsum(['key', 'to-hex'], { input: 'ssh-rsa AAAA\n' })).toMatchObject({ code: 1, stderr: expect.stringContaining('[keys.') });
  });

  it('signs and verifies with a namespace; a changed message is rejected', async () => {
    expect((await sigsum(['key', 'sign', '-k', 'submitter.key', '-n', 'example.org/v1', '-o', 'msg.sig'], { input: 'Hello\n' })).code).toBe(0);
    expect(readFileSync(join(dir, 'msg.sig'), 'utf8')).toMatch(/^[0-9a-f]{128}\n$/);
    expect(await sigsum(['key', 'verify', '-k', 'submitter.key.pub', '-s', 'msg.sig', '-n', 'example.org/v1'], { input: 'Hello\n' })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await sigsum(['key', 'verify', '-k', 'submitter.key.pub', '-s', 'msg.sig', '-n', 'example.org/v1'], { input: 'Helloo\n' })).toMatchObject({ code: 1, stderr: 'sigsum: signature is not valid\n' });
    expect(await sigsum(['key', 'verify', '-k', 'submitter.key.pub', '-s', 'msg.sig'], { input: 'Hello\n' })).toMatchObject({ code: 1, stderr: 'sigsum: signature is not valid\n' });
    expect(await sigsum(['key', 'verify', '-k', 'other.key.pub', '-s', 'msg.sig', '-n', 'example.org/v1'], { input: 'Hello\n' })).toMatchObject({ code: 1 });
    expect(await sigsum(['key', 'sign', '-k', 'missing.key'], { input: 'x' })).toMatchObject({ code: 1, stderr: 'sigsum: missing.key: no such file [file.read]\n' });
  });
});

describe('sigsum submit and verify against the reference log', () => {
  const N = 200;
  it(`submits a batch of ${N} files, verifies every proof, and a rerun resumes`, async () => {
    mkdirSync(join(dir, 'batch'));
    mkdirSync(join(dir, 'proofs'));
    const files: string[] = [];
    for (let i = 0; i < N; i++) {
      const f = join('batch', `file${i}.txt`);
      writeFileSync(join(dir, f), `batch file ${i}\n`);
      files.push(f);
    }
    const r = await sigsum(['submit', '-k', 'submitter.key', '-p', policyFile, '-O', 'proofs', '--poll-interval', '100ms', '--diagnostics', 'warning', ...files]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const pub = parseOpenSshPublicKey(readFileSync(join(dir, 'submitter.key.pub'), 'utf8').trim()).publicKey;
    const indices = new Set<bigint>();
    for (let i = 0; i < N; i++) {
      const proof = parseProof(readFileSync(join(dir, 'proofs', `file${i}.txt.proof`)));
      const v = await verifyProof(proof, { data: readFileSync(join(dir, files[i]!)), submitterKeys: [pub], policy });
      expect(v.ok).toBe(true);
      indices.add(proof.inclusion.leafIndex);
    }
    expect(indices.size).toBe(N);
    expect(readdirSync(join(dir, 'proofs')).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary files left
    // The same command again verifies every existing proof and submits nothing.
    const again = await sigsum(['submit', '-k', 'submitter.key', '-p', policyFile, '-O', 'proofs', ...files]);
    expect(again.code).toBe(0);
    expect(again.stderr.split('\n').filter((l) => l.includes('already verifies'))).toHaveLength(N);
    expect(again.stderr).not.toContain('logged');
    // And the verify command accepts one.
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', policyFile, join('proofs', 'file7.txt.proof')], { input: readFileSync(join(dir, files[7]!)) })).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('rejects tampered data, proof, policy and key, naming the failed step', async () => {
    const data = readFileSync(join(dir, 'batch', 'file3.txt'));
    const proofPath = join('proofs', 'file3.txt.proof');
    const proofText = readFileSync(join(dir, proofPath), 'utf8');
    const verifyWith = (args: { key?: string; policy?: string; proof?: string; data?: Uint8Array }) =>
      sigsum(['verify', '-k', args.key ?? 'submitter.key.pub', '-p', args.policy ?? policyFile, args.proof ?? proofPath], { input: args.data ?? data });
    const flipHexAt = (text: string, key: string): string =>
      text.replace(new RegExp(`^(${key}=(?:[0-9a-f]+ )*)([0-9a-f])`, 'm'), (_m, pre: string, c: string) => pre + (c === '0' ? '1' : '0'));

    // Data: one byte changed.
    const tamperedData = Uint8Array.from(data);
    tamperedData[0] = tamperedData[0]! ^ 1;
    expect(await verifyWith({ data: tamperedData })).toMatchObject({ code: 1, stderr: expect.stringContaining('step 3 (leaf-signature) failed') });
    // Proof: leaf signature, root hash, node hash, log key hash.
    const cases: [string, string][] = [
      ['leaf', 'step 3 (leaf-signature) failed'], // the last field: the leaf signature
      ['root_hash', 'step 4 (log) failed'],
      ['signature', 'step 4 (log) failed'],
      ['node_hash', 'step 6 (inclusion) failed'],
      ['log', 'step 4 (log) failed'],
    ];
    for (const [key, step] of cases) {
      const t = flipHexAt(proofText, key);
      expect(t).not.toBe(proofText);
      writeFileSync(join(dir, 'tampered.proof'), t);
      const r = await verifyWith({ proof: 'tampered.proof' });
      expect(r.stderr, key).toContain(step);
      expect(r.code).toBe(1);
    }
    // Proof: the submitter key hash (first field of the leaf line).
    const keyHashFlipped = proofText.replace(/^leaf=([0-9a-f])/m, (_m, c: string) => `leaf=${c === '0' ? '1' : '0'}`);
    writeFileSync(join(dir, 'tampered.proof'), keyHashFlipped);
    expect(await verifyWith({ proof: 'tampered.proof' })).toMatchObject({ code: 1, stderr: expect.stringContaining('step 2 (submitter) failed') });
    // Proof: not a proof at all.
    writeFileSync(join(dir, 'tampered.proof'), proofText.replace('version=2', 'version=3'));
    expect(await verifyWith({ proof: 'tampered.proof' })).toMatchObject({ code: 1, stderr: expect.stringContaining('[proof.version]') });
    // Policy: one hex digit of the log key changed.
    writeFileSync(join(dir, 'tampered.policy'), flipHexAt(readFileSync(policyFile, 'utf8').replace(/^log /m, 'log='), 'log').replace(/^log=/m, 'log '));
    expect(await verifyWith({ policy: 'tampered.policy' })).toMatchObject({ code: 1, stderr: expect.stringContaining('step 4 (log) failed') });
    // Key: another submitter's key.
    expect(await verifyWith({ key: 'other.key.pub' })).toMatchObject({ code: 1, stderr: expect.stringContaining('step 2 (submitter) failed') });
    // A key file with a changed byte is no longer the submitter's key (or no key at all).
    const keyText = readFileSync(join(dir, 'submitter.key.pub'), 'utf8');
    writeFileSync(join(dir, 'tampered.pub'), keyText.replace(/AAAAC3NzaC1lZDI1NTE5AAAAI(.)/, (_m, c: string) => `AAAAC3NzaC1lZDI1NTE5AAAAI${c === 'A' ? 'B' : 'A'}`));
    expect(await verifyWith({ key: 'tampered.pub' })).toMatchObject({ code: 1, stderr: expect.stringContaining('step 2 (submitter) failed') });
    // A resumed batch refuses a tampered existing proof instead of skipping it.
    writeFileSync(join(dir, 'proofs', 'file3.txt.proof'), flipHexAt(proofText, 'node_hash'));
    expect(await sigsum(['submit', '-k', 'submitter.key', '-p', policyFile, '-O', 'proofs', join('batch', 'file3.txt')])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`sigsum: existing proof ${join('proofs', 'file3.txt.proof')} is not valid: step 6 (inclusion)`),
    });
    writeFileSync(join(dir, 'proofs', 'file3.txt.proof'), proofText);
  });

  it('separates signing from submission with .req files, and checks requests', async () => {
    writeFileSync(join(dir, 'offline.txt'), 'signed offline\n');
    expect((await sigsum(['submit', '-k', 'submitter.key', 'offline.txt'])).code).toBe(0);
    const req = readFileSync(join(dir, 'offline.txt.req'), 'utf8');
    expect(req).toMatch(/^message=[0-9a-f]{64}\nsignature=[0-9a-f]{128}\npublic_key=[0-9a-f]{64}\n$/);
    // Without key or policy: only check the request.
    expect(await sigsum(['submit', 'offline.txt.req'])).toMatchObject({ code: 0, stdout: '' });
    writeFileSync(join(dir, 'bad.req'), req.replace(/^message=(.)/m, (_m, c: string) => `message=${c === '0' ? '1' : '0'}`));
    expect(await sigsum(['submit', 'bad.req'])).toMatchObject({ code: 1, stderr: 'sigsum: invalid leaf request bad.req: signature: leaf signature does not verify [add-leaf.signature]\n' });
    // Leaf hash of a request, to a .hash file.
    expect((await sigsum(['submit', '--leaf-hash', 'offline.txt.req'])).code).toBe(0);
    expect(readFileSync(join(dir, 'offline.txt.req.hash'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    // The same leaf hash straight from the data and key (Ed25519 signatures are deterministic).
    expect(await sigsum(['submit', '--leaf-hash', '-k', 'submitter.key'], { input: 'signed offline\n' })).toMatchObject({
      code: 0,
      stdout: readFileSync(join(dir, 'offline.txt.req.hash'), 'utf8'),
    });
    // Submit the request: the proof goes to offline.txt.proof (".req" replaced).
    expect((await sigsum(['submit', '-p', policyFile, '--poll-interval', '100ms', 'offline.txt.req'])).code).toBe(0);
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', policyFile, 'offline.txt.proof'], { input: 'signed offline\n' })).toMatchObject({ code: 0 });
  });

  it('submits from standard input, with --raw-hash, and with a policy named in the key file', async () => {
    const hash = 'ab'.repeat(32);
    const r = await sigsum(['submit', '--raw-hash', '-k', 'submitter.key', '-p', policyFile, '--poll-interval', '100ms'], { input: `  ${hash}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^version=2\nlog=[0-9a-f]{64}\nleaf=/);
    writeFileSync(join(dir, 'stdin.proof'), r.stdout);
    expect(await sigsum(['verify', '--raw-hash', '-k', 'submitter.key.pub', '-p', policyFile, 'stdin.proof'], { input: Buffer.from(hash, 'hex') })).toMatchObject({ code: 0 });
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', policyFile, 'stdin.proof'], { input: Buffer.from(hash, 'hex') })).toMatchObject({ code: 1 });
    expect(await sigsum(['submit', '--raw-hash', '-k', 'submitter.key'], { input: 'abc' })).toMatchObject({
      code: 1,
      stderr: 'sigsum: standard input: with --raw-hash the input must be 32 bytes or 64 hex digits, got 3 bytes [input.raw-hash]\n',
    });
    // A named policy installed in $SIGSUM_POLICY_DIR, chosen by the key file's sigsum-policy option.
    const policyDir = join(dir, 'policies');
    mkdirSync(policyDir);
    writeFileSync(join(policyDir, 'local-test.sigsum-policy'), readFileSync(policyFile));
    writeFileSync(join(dir, 'named.pub'), `sigsum-policy="local-test" ${readFileSync(join(dir, 'submitter.key.pub'), 'utf8')}`);
    expect(await sigsum(['verify', '-k', 'named.pub', 'stdin.proof', '--raw-hash'], { input: hash, env: { SIGSUM_POLICY_DIR: policyDir } })).toMatchObject({ code: 0 });
    expect(await sigsum(['verify', '-k', 'named.pub', 'stdin.proof', '--raw-hash'], { input: hash })).toMatchObject({ code: 1, stderr: expect.stringContaining('no builtin policy named "local-test"') });
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', 'stdin.proof'], { input: hash })).toMatchObject({ code: 2, stderr: expect.stringContaining('a policy is needed') });
    // -P NAME picks the installed policy too, and wins over the key file's name.
    expect(await sigsum(['verify', '-P', 'local-test', '-k', 'submitter.key.pub', 'stdin.proof', '--raw-hash'], { input: hash, env: { SIGSUM_POLICY_DIR: policyDir } })).toMatchObject({ code: 0 });
    expect(await sigsum(['verify', '-P', 'sigsum-test1-2025', '-k', 'named.pub', 'stdin.proof', '--raw-hash'], { input: hash, env: { SIGSUM_POLICY_DIR: policyDir } })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('step 4 (log) failed'),
    });
    expect((await sigsum(['policy', 'list'], { env: { SIGSUM_POLICY_DIR: policyDir } })).stdout).toContain('local-test\n');
    expect(await sigsum(['policy', 'show', 'local-test'], { env: { SIGSUM_POLICY_DIR: policyDir } })).toMatchObject({ code: 0, stdout: readFileSync(policyFile, 'utf8') });
    expect(await sigsum(['policy', 'show', policyFile])).toMatchObject({ code: 0, stdout: readFileSync(policyFile, 'utf8') });
  });

  it('draws a progress bar when standard error is a terminal, and none otherwise', async () => {
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `tty${i}.txt`), `tty ${i}\n`);
    const cmd = [process.execPath, CLI, 'submit', '-k', 'other.key', '-p', policyFile, '--poll-interval', '100ms', '--diagnostics', 'warning', 'tty0.txt', 'tty1.txt', 'tty2.txt'];
    // script(1) runs the command on a pseudo-terminal.
    const tty = await new Promise<string>((res, rej) => {
      const p = spawn('script', ['-qec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', rej);
      p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`exit ${code}: ${out}`))));
    });
    expect(tty).toContain('\r[##############################] 3/3');
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `tty${i}.txt`), `tty again ${i}\n`);
    for (let i = 0; i < 3; i++) rmSync(join(dir, `tty${i}.txt.proof`));
    const piped = await sigsum(cmd.slice(2));
    expect(piped).toMatchObject({ code: 0, stderr: '' });
  });

  it('signs through ssh-agent when -k names a public key file', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', join(dir, 'hw.key')]);
      execFileSync('ssh-add', ['-q', join(dir, 'hw.key')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      writeFileSync(join(dir, 'agent.txt'), 'signed by the agent\n');
      const r = await sigsum(['submit', '-k', 'hw.key.pub', '-p', policyFile, '--poll-interval', '100ms', 'agent.txt'], { env: { SSH_AUTH_SOCK: sock } });
      expect(r.code).toBe(0);
      expect(await sigsum(['verify', '-k', 'hw.key.pub', '-p', policyFile, 'agent.txt.proof'], { input: 'signed by the agent\n' })).toMatchObject({ code: 0 });
      expect(await sigsum(['key', 'sign', '-k', 'other.key.pub'], { input: 'x', env: { SSH_AUTH_SOCK: sock } })).toMatchObject({ code: 1, stderr: expect.stringContaining('the agent does not hold this key [agent.no-key]') });
    } finally {
      agent.kill();
    }
  });
});

describe('sigsum monitor, token, policy', () => {
  it('monitor reports exactly the watched key’s leaves', async () => {
    writeFileSync(join(dir, 'other.txt'), 'another submitter\n');
    expect((await sigsum(['submit', '-k', 'other.key', '-p', policyFile, '--poll-interval', '100ms', 'other.txt'])).code).toBe(0);
    const otherIndex = parseProof(readFileSync(join(dir, 'other.txt.proof'))).inclusion.leafIndex;
    const r = await sigsum(['monitor', '--once', '--json', '-p', policyFile, '-s', 'monitor.state', 'submitter.key.pub']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const kh = toHex(keyHash(parseOpenSshPublicKey(readFileSync(join(dir, 'submitter.key.pub'), 'utf8').trim()).publicKey));
    const leaves = events.filter((e) => e.type === 'leaf');
    const head = events.find((e) => e.type === 'tree-head')!;
    const size = head.size as number;
    // The watched key's leaves are exactly those of its proofs: the batch, the offline request and stdin.
    const proofFiles = [...readdirSync(join(dir, 'proofs')).map((f) => join(dir, 'proofs', f)), join(dir, 'offline.txt.proof'), join(dir, 'stdin.proof')];
    const expected = proofFiles.map((f) => Number(parseProof(readFileSync(f)).inclusion.leafIndex)).sort((a, b) => a - b);
    expect(expected).toHaveLength(202);
    expect(leaves.map((e) => e.index as number).sort((a, b) => a - b)).toEqual(expected);
    expect(leaves.every((e) => e.keyHash === kh)).toBe(true);
    expect(size).toBeGreaterThan(expected.length); // the other submitters' leaves exist but are not reported
    expect(events.filter((e) => e.type === 'alert')).toEqual([]);
    // A second run with the state file reports nothing new.
    const again = await sigsum(['monitor', '--once', '--json', '-p', policyFile, '-s', 'monitor.state', 'submitter.key.pub']);
    expect(again).toMatchObject({ code: 0, stdout: '' });
    // Text output follows sigsum-monitor's wording.
    const text = await sigsum(['monitor', '--once', '-p', policyFile, 'other.key.pub']);
    expect(text.stdout).toContain(`New ${toHex(policy.logs[0]!.keyHash)} tree, size ${size}\n`);
    expect(text.stdout).toContain(`  index ${otherIndex} keyhash `);
  });

  it('token record, create and verify', async () => {
    writeFileSync(join(dir, 'log.pub'), logPub);
    const rec = await sigsum(['token', 'record', '-k', 'other.key.pub']);
    expect(rec.stdout).toMatch(/^_sigsum_v1 IN TXT "[0-9a-f]{64}"\n$/);
    const tok = await sigsum(['token', 'create', '-k', 'other.key', '-l', 'log.pub']);
    expect(tok.stdout).toMatch(/^[0-9a-f]{128}\n$/);
    const hdr = await sigsum(['token', 'create', '-k', 'other.key', '-l', 'log.pub', '-d', 'example.org']);
    expect(hdr.stdout).toBe(`sigsum-token: example.org ${tok.stdout}`);
    expect(await sigsum(['token', 'verify', '-k', 'other.key.pub', '-l', 'log.pub'], { input: tok.stdout })).toMatchObject({ code: 0 });
    expect(await sigsum(['token', 'verify', '-k', 'submitter.key.pub', '-l', 'log.pub'], { input: tok.stdout })).toMatchObject({
      code: 1,
      stderr: 'sigsum: verifying using given key failed: token is not valid\n',
    });
    expect(await sigsum(['token', 'verify', '-q', '-k', 'submitter.key.pub', '-l', 'log.pub'], { input: tok.stdout })).toMatchObject({ code: 1, stderr: '' });
    expect(await sigsum(['token', 'verify', '-l', 'log.pub'], { input: tok.stdout })).toMatchObject({ code: 1, stderr: 'sigsum: a raw token needs -k or -d to verify against\n' });
  });

  it('policy list, show and check', async () => {
    const list = await sigsum(['policy', 'list']);
    expect(list.stdout).toContain('sigsum-test1-2025\n');
    const show = await sigsum(['policy', 'show', 'sigsum-test1-2025']);
    expect(show.stdout).toContain('quorum quorum-rule\n');
    const check = await sigsum(['policy', 'check', policyFile]);
    expect(check).toMatchObject({ code: 0, stdout: expect.stringContaining('quorum none\n1 log(s), 0 witness(es): policy is valid\n') });
    writeFileSync(join(dir, 'broken.policy'), 'log zz\n');
    expect(await sigsum(['policy', 'check', 'broken.policy'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^sigsum: broken\.policy: line 1/) });
    expect(await sigsum(['policy', 'show', 'no-such-policy'])).toMatchObject({ code: 1, stderr: 'sigsum: no policy named "no-such-policy" (see: sigsum policy list)\n' });
  });
});

describe('output that scripts compare with the Go tools', () => {
  it('policy list prints bare names, sorted, as sigsum-policy list (installed: regular files or links to them)', async () => {
    const pdir = join(dir, 'listed-policies');
    mkdirSync(pdir);
    const policyText = readFileSync(policyFile);
    writeFileSync(join(pdir, 'zz-local.sigsum-policy'), policyText);
    writeFileSync(join(pdir, 'aa-local.sigsum-policy'), policyText);
    // A builtin's name installed again is listed once.
    writeFileSync(join(pdir, `${builtinPolicyNames[0]}.sigsum-policy`), policyText);
    symlinkSync(join(pdir, 'aa-local.sigsum-policy'), join(pdir, 'linked.sigsum-policy'));
    // Not listed: a dangling link, a directory, a bad name, another suffix.
    symlinkSync(join(pdir, 'missing'), join(pdir, 'dangling.sigsum-policy'));
    mkdirSync(join(pdir, 'adir.sigsum-policy'));
    writeFileSync(join(pdir, 'bad name.sigsum-policy'), policyText);
    writeFileSync(join(pdir, 'other.policy'), policyText);
    const expected = [...new Set([...builtinPolicyNames, 'aa-local', 'linked', 'zz-local'])].sort();
    expect(await sigsum(['policy', 'list'], { env: { SIGSUM_POLICY_DIR: pdir } })).toEqual({ code: 0, stdout: expected.map((n) => n + '\n').join(''), stderr: '' });
    expect(await sigsum(['policy', 'list'], { env: { SIGSUM_POLICY_DIR: join(dir, 'no-such-dir') } })).toEqual({ code: 0, stdout: builtinPolicyNames.map((n) => n + '\n').join(''), stderr: '' });
  });

  it('error messages name their location once', async () => {
    const hex = 'ab'.repeat(32);
    writeFileSync(join(dir, 'line3.policy'), `log ${hex}\nquorum none\nwitness\n`);
    const line3 = 'line3.policy: line 3: witness line: want <name> <key> [url] [policy.arguments]';
    expect(await sigsum(['policy', 'check', 'line3.policy'])).toEqual({ code: 1, stdout: '', stderr: `sigsum: ${line3}\n` });
    expect(await sigsum(['policy', 'show', 'line3.policy'])).toEqual({ code: 1, stdout: '', stderr: `sigsum: ${line3}\n` });
    expect(await sigsum(['monitor', '--once', '-p', 'line3.policy', 'submitter.key.pub'])).toMatchObject({ code: 1, stderr: `sigsum: ${line3}\n` });
    // An installed named policy: the message names its path, then the line.
    const pdir = join(dir, 'broken-policies');
    mkdirSync(pdir);
    writeFileSync(join(pdir, 'broken.sigsum-policy'), `log ${hex}\nlog zz\n`);
    expect(await sigsum(['monitor', '--once', '-P', 'broken', 'submitter.key.pub'], { env: { SIGSUM_POLICY_DIR: pdir } })).toMatchObject({
      code: 1,
      stderr: `sigsum: ${join(pdir, 'broken.sigsum-policy')}: line 2 (log key): expected 32 bytes (64 hex digits), got 2 characters [hex.length]\n`,
    });
    expect(await sigsum(['key', 'to-hex', '-k', 'no-such.pub'])).toEqual({ code: 1, stdout: '', stderr: 'sigsum: no-such.pub: no such file [file.read]\n' });
  });

  it('reads key files that are pipes to end of file, with a size bound', async () => {
    const pubText = readFileSync(join(dir, 'submitter.key.pub'), 'utf8');
    const hex = toHex(parseOpenSshPublicKey(pubText.trim()).publicKey);
    // Process substitution, as a user types it (the key file is /dev/fd/N, a pipe).
    const viaBash = execFileSync('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} key to-hex -k <(cat submitter.key.pub)`], { cwd: dir, encoding: 'utf8' });
    expect(viaBash).toBe(hex + '\n');
    // A named FIFO, written slowly in two parts.
    const fifo = join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('bash', ['-c', `{ printf %s "$A"; sleep 0.2; printf %s "$B"; } > ${JSON.stringify(fifo)}`], { env: { ...process.env, A: pubText.slice(0, 20), B: pubText.slice(20) } });
    const written = new Promise((r) => writer.on('close', r));
    expect(await sigsum(['key', 'to-hash', '-k', fifo])).toEqual({ code: 0, stdout: toHex(keyHash(parseOpenSshPublicKey(pubText.trim()).publicKey)) + '\n', stderr: '' });
    await written;
    // Past the bound the read stops with a typed error, whatever the pipe holds.
    const big = spawn('bash', ['-c', `head -c ${DEFAULT_MAX_FILE_BYTES + 4096} /dev/zero > ${fifo}`]);
    const bigDone = new Promise((r) => big.on('close', r));
    expect(await sigsum(['key', 'to-hex', '-k', fifo])).toEqual({ code: 1, stdout: '', stderr: `sigsum: ${fifo}: file exceeds the limit of ${DEFAULT_MAX_FILE_BYTES} bytes [file.size]\n` });
    await bigDone; // the writer ends on SIGPIPE once the reader gave up
  });
});

describe('sigsum submit with a witness quorum', () => {
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGTERM');
  });

  it('collects cosigned proofs that satisfy the quorum, and verify rejects a policy the cosignatures do not satisfy', async () => {
    const wdir = join(dir, 'witnessed');
    mkdirSync(wdir);
    execFileSync(process.execPath, [LOG_CLI, 'init', '--dir', join(wdir, 'log')], { stdio: 'ignore' });
    expect((await sigsum(['key', 'generate', '-o', join(wdir, 'witness.key')])).code).toBe(0);
    expect((await sigsum(['key', 'generate', '-o', join(wdir, 'absent.key')])).code).toBe(0);
    // The reference witness, cosigning this log's checkpoints.
    const witness = spawn(
      process.execPath,
      [LOG_CLI, 'witness', '-k', join(wdir, 'witness.key'), '--state-db', join(wdir, 'witness.db'), '--log-key', join(wdir, 'log', 'log.key.pub'), '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(witness);
    const witnessUrl = await new Promise<string>((res, rej) => {
      let out = '';
      const t = setTimeout(() => rej(new Error(`witness did not start: ${out}`)), 60_000);
      witness.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /witness listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          res(m[1]! + '/');
        }
      });
    });
    const hex = async (f: string) => (await sigsum(['key', 'to-hex', '-k', f])).stdout.trim();
    const wHex = await hex(join(wdir, 'witness.key.pub'));
    const logHex = await hex(join(wdir, 'log', 'log.key.pub'));
    writeFileSync(join(wdir, 'log', 'witnesses.policy'), `witness W ${wHex} ${witnessUrl}\nquorum W\n`);
    const log = await startLog(join(wdir, 'log'), { policyFile: 'witnesses.policy' }, false);
    procs.push(log.proc);
    const clientPolicy = join(wdir, 'client.policy');
    writeFileSync(clientPolicy, `log ${logHex} ${log.url}\nwitness W ${wHex}\nquorum W\n`);

    for (let i = 0; i < 3; i++) writeFileSync(join(wdir, `w${i}.txt`), `witnessed ${i}\n`);
    const files = [0, 1, 2].map((i) => join(wdir, `w${i}.txt`));
    const r = await sigsum(['submit', '-k', 'submitter.key', '-p', clientPolicy, '--poll-interval', '100ms', '--diagnostics', 'warning', ...files]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const f of files) {
      const proofText = readFileSync(`${f}.proof`, 'utf8');
      const wHash = (await sigsum(['key', 'to-hash', '-k', join(wdir, 'witness.key.pub')])).stdout.trim();
      expect(proofText).toMatch(new RegExp(`^cosignature=${wHash} \\d+ [0-9a-f]{128}$`, 'm'));
      expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', clientPolicy, `${f}.proof`], { input: readFileSync(f) })).toMatchObject({ code: 0 });
    }
    // A policy that needs a witness which never cosigned: step 5.
    const absentHex = await hex(join(wdir, 'absent.key.pub'));
    writeFileSync(join(wdir, 'strict.policy'), `log ${logHex} ${log.url}\nwitness W ${wHex}\nwitness X ${absentHex}\ngroup both all W X\nquorum both\n`);
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', join(wdir, 'strict.policy'), `${files[0]}.proof`], { input: readFileSync(files[0]!) })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('step 5 (cosignatures) failed'),
    });
  });
});

describe('sigsum submit and token against a rate-limited log', () => {
  const procs: ChildProcess[] = [];
  let dns: TestDnsServer | undefined;
  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await dns?.close();
  });

  it('submits with -a/-d tokens that the log checks in DNS; without them the log refuses', async () => {
    const rdir = join(dir, 'limited');
    mkdirSync(rdir);
    expect((await sigsum(['key', 'generate', '-o', join(rdir, 'rate.key')])).code).toBe(0);
    const rateHex = (await sigsum(['key', 'to-hex', '-k', join(rdir, 'rate.key.pub')])).stdout.trim();
    dns = await startTestDnsServer({ '_sigsum_v1.example.org': { txt: [rateHex] } });
    execFileSync(process.execPath, [LOG_CLI, 'init', '--dir', join(rdir, 'log')], { stdio: 'ignore' });
    writeFileSync(join(rdir, 'log', 'limits.conf'), 'domain example.org 100\n');
    const log = await startLog(join(rdir, 'log'), { rateLimitFile: 'limits.conf', dnsResolver: dns.address }, false);
    procs.push(log.proc);
    const logHex = (await sigsum(['key', 'to-hex', '-k', join(rdir, 'log', 'log.key.pub')])).stdout.trim();
    const p = join(rdir, 'policy');
    writeFileSync(p, `log ${logHex} ${log.url}\nquorum none\n`);
    writeFileSync(join(rdir, 'a.txt'), 'rate limited\n');

    const refused = await sigsum(['submit', '-k', 'submitter.key', '-p', p, '-t', '20s', join(rdir, 'a.txt')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 403: .*the request has no sigsum-token header/);
    expect(existsSync(join(rdir, 'a.txt.proof'))).toBe(false);

    const ok = await sigsum(['submit', '-k', 'submitter.key', '-p', p, '-a', join(rdir, 'rate.key'), '-d', 'example.org', '--poll-interval', '100ms', join(rdir, 'a.txt')]);
    expect(ok).toMatchObject({ code: 0 });
    expect(await sigsum(['verify', '-k', 'submitter.key.pub', '-p', p, join(rdir, 'a.txt.proof')], { input: 'rate limited\n' })).toMatchObject({ code: 0 });
    expect(dns.queries.get('_sigsum_v1.example.org')).toBeGreaterThan(0);

    // sigsum token verify looks the key up in DNS (through $SIGSUM_DNS_RESOLVER).
    const header = (await sigsum(['token', 'create', '-k', join(rdir, 'rate.key'), '-l', join(rdir, 'log', 'log.key.pub'), '-d', 'example.org'])).stdout;
    const env = { SIGSUM_DNS_RESOLVER: dns.address };
    expect(await sigsum(['token', 'verify', '-l', join(rdir, 'log', 'log.key.pub')], { input: header, env })).toMatchObject({ code: 0, stderr: '' });
    expect(await sigsum(['token', 'verify', '-l', 'submitter.key.pub'], { input: header, env })).toMatchObject({
      code: 1,
      stderr: 'sigsum: verifying with domain "example.org" failed: no published key verifies the token\n',
    });
    expect(await sigsum(['token', 'verify', '-l', join(rdir, 'log', 'log.key.pub'), '-d', 'example.com'], { input: header, env })).toMatchObject({
      code: 1,
      stderr: 'sigsum: unexpected domain: "example.org"\n',
    });
    const other = header.replace('example.org', 'unknown.example.org');
    expect(await sigsum(['token', 'verify', '-l', join(rdir, 'log', 'log.key.pub')], { input: other, env })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('verifying with domain "unknown.example.org" failed: DNS lookup: '),
    });
  });
});
