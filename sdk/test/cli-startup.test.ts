/**
 * What the `sigsum` command loads at start-up, the bundled command that the
 * package's `bin` points to, and its V8 code cache: real processes, real files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatOpenSshPublicKey, serializeProof } from '@sigsum-kit/sdk';
import { makeProof } from './fixtures/make-proof.js';

const SDK = resolve(import.meta.dirname, '..');
const MODULAR = join(SDK, 'dist', 'cli', 'main.js');
const BIN = join(SDK, 'bin', 'sigsum.cjs');

let dir: string;
let hook: string;
let requireHook: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sigsum-startup-'));
  // A module hook that reports every module file the process loads, one URL per line on fd 3.
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { writeSync } from 'node:fs';\nexport async function load(url, context, next) { if (url.startsWith('file:')) writeSync(3, url + '\\n'); return next(url, context); }\n`);
  hook = join(dir, 'register.mjs');
  // At exit, also the Node built-ins the process loaded ("builtin:<name>").
  writeFileSync(
    hook,
    `import { register } from 'node:module';\nimport { writeSync } from 'node:fs';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
      `process.on('exit', () => { for (const m of process.moduleLoadList) if (m.startsWith('NativeModule ')) writeSync(3, 'builtin:' + m.slice(13) + '\\n'); });\n`,
  );
  // For the CommonJS bin: every file that require() resolves, and the Node built-ins loaded.
  requireHook = join(dir, 'require-hook.cjs');
  writeFileSync(
    requireHook,
    `const Module = require('node:module'); const { writeSync } = require('node:fs');\n` +
      `const resolveFilename = Module._resolveFilename;\n` +
      `Module._resolveFilename = function (...a) { const f = resolveFilename.apply(this, a); if (f.startsWith('/')) writeSync(3, 'file://' + f + '\\n'); return f; };\n` +
      `process.on('exit', () => { for (const m of process.moduleLoadList) if (m.startsWith('NativeModule ')) writeSync(3, 'builtin:' + m.slice(13) + '\\n'); });\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Run a CLI file; returns the exit status, output and the module files it
 * loaded. Standard input is a pipe; standard output and error are files, so
 * that only the command itself could load Node's net module. The bin runs
 * with its code cache in `cache` (XDG_CACHE_HOME) unless `env` says otherwise.
 */
function run(
  cli: string,
  args: string[],
  input = '',
  env: NodeJS.ProcessEnv = {},
  /** Standard output and error as pipes instead of files. */
  pipes = false,
): { status: number | null; stdout: string; stderr: string; loaded: string[]; builtins: string[] } {
  const preload = cli.endsWith('.cjs') ? ['--require', requireHook] : ['--import', hook];
  const out = join(dir, 'stdout');
  const err = join(dir, 'stderr');
  const fds = pipes ? undefined : ([openSync(out, 'w'), openSync(err, 'w')] as const);
  const r = spawnSync(process.execPath, [...preload, cli, ...args], {
    input,
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), ...env },
    stdio: ['pipe', fds?.[0] ?? 'pipe', fds?.[1] ?? 'pipe', 'pipe'],
  });
  for (const fd of fds ?? []) closeSync(fd);
  const lines = String((r.output as (string | null)[])[3] ?? '').split('\n').filter((l) => l !== '');
  const loaded = lines.filter((l) => !l.startsWith('builtin:'));
  const builtins = lines.filter((l) => l.startsWith('builtin:')).map((l) => l.slice(8));
  if (pipes) return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded, builtins };
  return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8'), loaded, builtins };
}

describe('start-up of the modular command (sdk/dist/cli)', () => {
  it.each([
    ['verify', ['verify', '--help']],
    ['key to-hex', ['key', 'to-hex', '--help']],
    ['policy list', ['policy', 'list']],
  ])('%s loads neither the HTTP client nor the other subcommands', (_name, args) => {
    const r = run(MODULAR, args);
    expect(r.status).toBe(0);
    const ours = r.loaded.filter((u) => u.includes('/sdk/dist/cli/')).map((u) => u.slice(u.lastIndexOf('/') + 1));
    expect(r.loaded.filter((u) => u.includes('/node_modules/ky/'))).toEqual([]);
    expect(r.loaded.filter((u) => u.includes('/sdk/dist/client/'))).toEqual([]);
    for (const other of ['submit.js', 'monitor.js', 'token.js']) expect(ours).not.toContain(other);
  });

  it('loads every subcommand for the top-level help, which lists them all', () => {
    const r = run(MODULAR, ['--help']);
    expect(r.status).toBe(0);
    for (const name of ['key', 'submit', 'verify', 'token', 'policy', 'monitor']) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('reports an unknown subcommand as a usage error (exit 2)', () => {
    const r = run(MODULAR, ['verfy']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'verfy'");
  });
});

describe('the bundled command (package bin)', () => {
  it('is what the sdk package.json bin names', () => {
    const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    // The bin is a committed launcher (npm ci links it before dist/ is built) that requires the bundle's launcher.
    expect(resolve(SDK, pkg.bin.sigsum!)).toBe(BIN);
    expect(readFileSync(BIN, 'utf8')).toMatch(/^require\('\.\.\/dist\/bin\/sigsum\.cjs'\);$/m);
  });

  it('loads only its own files and no node_modules package for an offline verify', async () => {
    const f = await makeProof({ size: 5, index: 3, witnessCount: 1, threshold: 1, label: 'startup' });
    writeFileSync(join(dir, 'data'), f.data);
    writeFileSync(join(dir, 'data.proof'), serializeProof(f.proof));
    writeFileSync(join(dir, 'policy'), f.policyText);
    writeFileSync(join(dir, 'submitter.pub'), formatOpenSshPublicKey(f.submitter.publicKey));
    const ok = run(BIN, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], Buffer.from(f.data).toString('latin1'));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // The bin and the bundle's launcher; the verify bundle itself is read and run as a script.
    expect(ok.loaded.map((u) => u.slice(u.indexOf('/sdk/') + 1))).toEqual(['sdk/bin/sigsum.cjs', 'sdk/dist/bin/sigsum.cjs']);
    // commander's child_process (with net) is deferred until used, which sigsum never does;
    // standard input (a pipe) is read without Node's net module, files without fs/promises.
    for (const m of ['child_process', 'net', 'fs/promises', 'readline']) expect(ok.builtins).not.toContain(m);
    // Standard output and error as pipes: a verify that prints nothing never makes them (which would load net).
    const piped = run(BIN, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], Buffer.from(f.data).toString('latin1'), {}, true);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.builtins).not.toContain('net');
    // The same verdict as the modular command, for a valid and for a tampered input.
    const bad = run(BIN, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], 'other data');
    const badModular = run(MODULAR, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], 'other data');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(badModular.stderr);
    expect(bad.stderr).toContain('step 3 (leaf-signature)');
  });

  it('generates a key pair and converts it like the modular command', () => {
    const gen = run(BIN, ['key', 'generate', '-o', 'k']);
    expect(gen.status).toBe(0);
    const a = run(BIN, ['key', 'to-hex', '-k', 'k.pub']);
    const b = run(MODULAR, ['key', 'to-hex', '-k', 'k.pub']);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(a.stdout).toBe(b.stdout);
  });

  it.each([
    ['policy list', ['policy', 'list'], ['crypto', 'child_process', 'fs/promises', 'net']],
    ['key to-hex', ['key', 'to-hex', '-k', 'k.pub'], ['child_process', 'fs/promises', 'net']],
  ])('%s does not load child_process, net nor fs/promises (nor crypto when it hashes nothing)', (_name, args, absent) => {
    expect(run(BIN, ['key', 'generate', '-o', 'k']).status).toBe(0);
    const r = run(BIN, args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.builtins).toContain('fs');
    for (const m of absent) expect(r.builtins).not.toContain(m);
  });

  it('ends quietly with status 0 when its reader has gone (EPIPE)', () => {
    // The reader exits at once; the command starts later and writes into a pipe nobody reads.
    const r = spawnSync('bash', ['-c', `set -o pipefail; { sleep 0.3; exec "${process.execPath}" "${BIN}" --help; } | true`], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { version: string };
    expect(run(BIN, ['--version']).stdout.trim()).toBe(pkg.version);
  });
});

describe('the code cache of the bundled command', () => {
  beforeAll(() => {
    expect(run(BIN, ['key', 'generate', '-o', 'k']).status).toBe(0);
  });

  /** Mode bits and inode of a path. */
  const info = (p: string) => {
    const st = statSync(p);
    return { mode: st.mode & 0o777, ino: st.ino };
  };
  /** The cache files of a cache home (XDG_CACHE_HOME). */
  const cacheFiles = (home: string) => readdirSync(join(home, 'sigsum-kit')).sort();

  it('is made on the first run (directory 0700, file 0600) and used as it is on the next', () => {
    const home = join(dir, 'cache-first');
    const first = run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: home });
    expect(first.status).toBe(0);
    expect(info(join(home, 'sigsum-kit')).mode).toBe(0o700);
    const files = cacheFiles(home);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^policy-[0-9a-f]{16}-${process.versions.v8.replaceAll('.', '\\.')}-${process.arch}\\.v8$`))]);
    const file = join(home, 'sigsum-kit', files[0]!);
    const made = info(file);
    expect(made.mode).toBe(0o600);
    // Accepted by V8: the next run neither rewrites it nor changes the output.
    const second = run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: home });
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(info(file).ino).toBe(made.ino);
  });

  it('ignores and replaces a cache file that V8 refuses, and one that others can write', () => {
    const home = join(dir, 'cache-bad');
    const want = run(BIN, ['key', 'to-hex', '-k', 'k.pub'], '', { SIGSUM_NO_COMPILE_CACHE: '1' });
    expect(want.status).toBe(0);
    expect(run(BIN, ['key', 'to-hex', '-k', 'k.pub'], '', { XDG_CACHE_HOME: home }).status).toBe(0);
    const [name] = cacheFiles(home);
    const file = join(home, 'sigsum-kit', name!);
    const good = readFileSync(file);
    // Garbage under the right name: refused by V8, the command runs as without a cache, the file is made anew.
    writeFileSync(file, Buffer.alloc(good.length, 0x5a), { mode: 0o600 });
    const afterGarbage = run(BIN, ['key', 'to-hex', '-k', 'k.pub'], '', { XDG_CACHE_HOME: home });
    expect(afterGarbage).toMatchObject({ status: 0, stdout: want.stdout, stderr: '' });
    expect(readFileSync(file).equals(Buffer.alloc(good.length, 0x5a))).toBe(false);
    expect(info(file).mode).toBe(0o600);
    // A group- or world-writable file is not read, whatever it holds: replaced by a private one.
    chmodSync(file, 0o666);
    const before = info(file).ino;
    expect(run(BIN, ['key', 'to-hex', '-k', 'k.pub'], '', { XDG_CACHE_HOME: home })).toMatchObject({ status: 0, stdout: want.stdout });
    expect(info(file)).not.toEqual({ mode: 0o666, ino: before });
    expect(info(file).mode).toBe(0o600);
  });

  it('drops the files of an older build of the same bundle', () => {
    const home = join(dir, 'cache-stale');
    mkdirSync(join(home, 'sigsum-kit'), { recursive: true, mode: 0o700 });
    const stale = `key-0123456789abcdef-${process.versions.v8}-${process.arch}.v8`;
    const other = 'policy-0123456789abcdef-0-x.v8';
    writeFileSync(join(home, 'sigsum-kit', stale), 'old', { mode: 0o600 });
    writeFileSync(join(home, 'sigsum-kit', other), 'old', { mode: 0o600 });
    expect(run(BIN, ['key', 'to-hex', '-k', 'k.pub'], '', { XDG_CACHE_HOME: home }).status).toBe(0);
    const files = cacheFiles(home);
    expect(files).not.toContain(stale);
    expect(files).toContain(other);
    expect(files.filter((f) => f.startsWith('key-'))).toHaveLength(1);
  });

  it('is not used from a directory that others can write, nor when turned off, nor without an absolute cache home', () => {
    const open = join(dir, 'cache-open');
    mkdirSync(join(open, 'sigsum-kit'), { recursive: true });
    chmodSync(join(open, 'sigsum-kit'), 0o777);
    expect(run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: open }).status).toBe(0);
    expect(cacheFiles(open)).toEqual([]);

    const off = join(dir, 'cache-off');
    for (const env of [{ SIGSUM_NO_COMPILE_CACHE: '1' }, { NODE_DISABLE_COMPILE_CACHE: '1' }]) {
      expect(run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: off, ...env }).status).toBe(0);
      expect(() => statSync(off)).toThrow();
    }

    // A relative XDG_CACHE_HOME is ignored (XDG); then ~/.cache, and with no HOME either, no cache at all.
    const home = join(dir, 'home');
    mkdirSync(home);
    expect(run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: 'relative', HOME: home }).status).toBe(0);
    expect(cacheFiles(join(home, '.cache'))).toHaveLength(1);
    expect(() => statSync(join(dir, 'relative'))).toThrow();
    const r = run(BIN, ['policy', 'list'], '', { XDG_CACHE_HOME: '', HOME: '' });
    expect(r).toMatchObject({ status: 0, stderr: '' });
  });
});
