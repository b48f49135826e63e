/**
 * What the `sigsum` command loads at start-up, and the bundled command that
 * the package's `bin` points to: real processes, real files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatOpenSshPublicKey, serializeProof } from '@sigsum-kit/sdk';
import { makeProof } from './fixtures/make-proof.js';

const SDK = resolve(import.meta.dirname, '..');
const MODULAR = join(SDK, 'dist', 'cli', 'main.js');
const BUNDLED = join(SDK, 'dist', 'bin', 'sigsum.mjs');

let dir: string;
let hook: string;

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
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a CLI file; returns the exit status, output and the module files it loaded. */
function run(cli: string, args: string[], input = ''): { status: number | null; stdout: string; stderr: string; loaded: string[]; builtins: string[] } {
  const r = spawnSync(process.execPath, ['--import', hook, cli, ...args], { input, encoding: 'utf8', cwd: dir, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const lines = String((r.output as (string | null)[])[3] ?? '').split('\n').filter((l) => l !== '');
  const loaded = lines.filter((l) => !l.startsWith('builtin:'));
  const builtins = lines.filter((l) => l.startsWith('builtin:')).map((l) => l.slice(8));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded, builtins };
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
    // The bin is a committed one-line launcher (npm ci links it before dist/ is built) that imports the bundle.
    const launcher = resolve(SDK, pkg.bin.sigsum!);
    expect(readFileSync(launcher, 'utf8')).toMatch(/^import '\.\.\/dist\/bin\/sigsum\.mjs';$/m);
    expect(resolve(SDK, 'bin', '../dist/bin/sigsum.mjs')).toBe(BUNDLED);
  });

  it('loads only its own files and no node_modules package for an offline verify', async () => {
    const f = await makeProof({ size: 5, index: 3, witnessCount: 1, threshold: 1, label: 'startup' });
    writeFileSync(join(dir, 'data'), f.data);
    writeFileSync(join(dir, 'data.proof'), serializeProof(f.proof));
    writeFileSync(join(dir, 'policy'), f.policyText);
    writeFileSync(join(dir, 'submitter.pub'), formatOpenSshPublicKey(f.submitter.publicKey));
    const ok = run(BUNDLED, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], Buffer.from(f.data).toString('latin1'));
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.loaded.every((u) => u.includes('/sdk/dist/bin/'))).toBe(true);
    // Two files: the entry and the verify bundle (not a dozen shared chunks).
    expect(ok.loaded.map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(['sigsum.mjs', 'sigsum-verify.mjs']);
    // commander's child_process (with net) is deferred until used, which sigsum never does.
    expect(ok.builtins).not.toContain('child_process');
    // The same verdict as the modular command, for a valid and for a tampered input.
    const bad = run(BUNDLED, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], 'other data');
    const badModular = run(MODULAR, ['verify', '-k', 'submitter.pub', '-p', 'policy', 'data.proof'], 'other data');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(badModular.stderr);
    expect(bad.stderr).toContain('step 3 (leaf-signature)');
  });

  it('generates a key pair and converts it like the modular command', () => {
    const gen = run(BUNDLED, ['key', 'generate', '-o', 'k']);
    expect(gen.status).toBe(0);
    const a = run(BUNDLED, ['key', 'to-hex', '-k', 'k.pub']);
    const b = run(MODULAR, ['key', 'to-hex', '-k', 'k.pub']);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(a.stdout).toBe(b.stdout);
  });

  it.each([
    // (net itself is loaded here: standard output is a pipe.)
    ['policy list', ['policy', 'list'], ['crypto', 'child_process']],
    ['key to-hex', ['key', 'to-hex', '-k', 'k.pub'], ['child_process']],
  ])('%s does not load child_process (nor crypto when it hashes nothing)', (_name, args, absent) => {
    expect(run(BUNDLED, ['key', 'generate', '-o', 'k']).status).toBe(0);
    const r = run(BUNDLED, args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.builtins).toContain('fs');
    for (const m of absent) expect(r.builtins).not.toContain(m);
  });

  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { version: string };
    expect(run(BUNDLED, ['--version']).stdout.trim()).toBe(pkg.version);
  });
});
