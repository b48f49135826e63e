// What a newcomer and a package user do, from the committed tree:
//  1. a fresh clone of this repository's HEAD, the README's start command as
//     written (ports from env): the log answers get-tree-head, the demo
//     answers, and `npx sigsum --help` / `npx sigsum-log --help` work;
//  2. `npm pack` of @sigsum-kit/sdk and @sigsum-kit/reference-log from that
//     clone, installed into an empty project outside the repository: ESM and
//     CommonJS imports, TypeScript consumers (node16 and bundler), a Vite
//     build of a browser verifier, both CLIs, and a log run from the package.
// Both parts share one clone and one build: `npm ci` (with its native build of
// better-sqlite3) is the slow part, so it runs once per part, from the npm cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/ports.mjs';
import { freshEnv, stopGroup, tail, waitForHttp } from './install-helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'sigsum-install-'));
const clone = join(work, 'clone');
const consumer = join(work, 'consumer');
const packs = join(work, 'packs');
const procs: ChildProcess[] = [];

const NPM_CI_MS = 20 * 60_000; // a native build on a loaded 2-core CI machine

/** Run a command to completion; throws with its output when it fails. */
function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = freshEnv()): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${tail(r.stdout + r.stderr)}`);
  return r.stdout;
}

/** The README's "Run the local stack" command. */
function readmeStartCommand(): string {
  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const m = /\*\*Run the local stack\*\*[\s\S]*?```sh\n([^\n]+)\n```/.exec(readme);
  if (m === null) throw new Error('README.md has no "Run the local stack" command block');
  return m[1]!;
}

beforeAll(() => {
  sh('git', ['clone', '--quiet', '--no-hardlinks', repo, clone], work);
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map(stopGroup));
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('fresh clone, README commands as written', () => {
  it('the start command installs, builds and brings up the log and the demo; npx sigsum / sigsum-log work', async () => {
    const command = readmeStartCommand();
    expect(command).toBe('bash scripts/install-system-deps.sh && npm ci && npm start');
    const [logPort, w1, w2, demoPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const out = join(work, 'start.out');
    const env = freshEnv({
      SIGSUM_LOG_PORT: String(logPort),
      SIGSUM_WITNESS_PORTS: `${w1},${w2}`,
      SIGSUM_DEMO_PORT: String(demoPort),
    });
    const p = spawn('bash', ['-c', `(${command}) >${out} 2>&1`], { cwd: clone, env, detached: true, stdio: 'ignore' });
    procs.push(p);
    const logText = () => (existsSync(out) ? readFileSync(out, 'utf8') : '');

    const head = await waitForHttp(`http://127.0.0.1:${logPort}/get-tree-head`, NPM_CI_MS, p, logText);
    expect(head.text).toMatch(/^size=\d+\nroot_hash=[0-9a-f]{64}\nsignature=[0-9a-f]{128}\n/);
    const demo = await waitForHttp(`http://127.0.0.1:${demoPort}/`, 60_000, p, logText);
    expect(demo.text).toContain('<html');

    for (const [bin, usage] of [['sigsum', 'Usage: sigsum'], ['sigsum-log', 'Usage: sigsum-log']] as const) {
      const help = sh('npx', ['--offline', bin, '--help'], clone);
      expect(help).toContain(usage);
    }
    await stopGroup(p);
    // The stack got the signal and began its orderly stop. bash and npm may exit before the
    // stack's handler has written its line, so wait for the line rather than read once.
    const stopLine = 'SIGTERM: stopping the web demo, the log, its secondary and the witnesses';
    for (let i = 0; i < 100 && !logText().includes(stopLine); i++) await new Promise((r) => setTimeout(r, 100));
    expect(logText()).toContain(stopLine);
  }, NPM_CI_MS + 120_000);
});

describe('packed packages installed into an empty project', () => {
  let tarballs: { sdk: string; log: string };

  beforeAll(() => {
    // The clone is built by the test above (npm ci runs `prepare`); prepack rebuilds incrementally.
    if (!existsSync(join(clone, 'node_modules'))) sh('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);
    mkdirSync(packs);
    const packed = JSON.parse(sh('npm', ['pack', '--json', '-w', 'sdk', '-w', 'reference-log', '--pack-destination', packs], clone)) as { name: string; filename: string; files: { path: string }[] }[];
    const byName = new Map(packed.map((p) => [p.name, p]));
    for (const [name, pkg] of byName) {
      const files = pkg.files.map((f) => f.path);
      expect(files, name).toContain('README.md');
      expect(files, name).toContain('LICENSE');
      expect(files, name).toContain('package.json');
      expect(files, name).toContain('dist/index.d.ts');
      expect(files.filter((f) => /\.map$|\.tsbuildinfo$|(^|\/)test\/|\.test\.|(^|\/)src\//.test(f)), name).toEqual([]);
    }
    // The bin's launcher and the bundles it runs, with the licences of the code bundled in them.
    const sdkFiles = byName.get('@sigsum-kit/sdk')!.files.map((f) => f.path);
    for (const f of ['bin/sigsum.cjs', 'dist/bin/sigsum.cjs', 'dist/bin/sigsum-verify.cjs', 'dist/bin/sigsum-verify.cjs.LEGAL.txt']) expect(sdkFiles).toContain(f);
    tarballs = { sdk: join(packs, byName.get('@sigsum-kit/sdk')!.filename), log: join(packs, byName.get('@sigsum-kit/reference-log')!.filename) };
    const logManifest = JSON.parse(readFileSync(join(clone, 'reference-log', 'package.json'), 'utf8'));
    expect(logManifest.dependencies['@sigsum-kit/sdk']).toMatch(/^\^\d+\.\d+\.\d+$/);

    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    const typesNode = JSON.parse(readFileSync(join(clone, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version;
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarballs.sdk, tarballs.log, `@types/node@${typesNode}`], consumer);
  }, NPM_CI_MS);

  it('Node imports @sigsum-kit/sdk and @sigsum-kit/sdk/node as ESM', () => {
    writeFileSync(join(consumer, 'esm.mjs'), `
import { sha256, toHex, parsePolicy, verifyProof } from '@sigsum-kit/sdk';
import { loadSigner, generateKeyFiles } from '@sigsum-kit/sdk/node';
const policy = parsePolicy('log ' + '00'.repeat(32) + ' https://log.example.org/\\nquorum none\\n');
console.log(toHex(sha256(new TextEncoder().encode('abc'))), policy.logs.length, typeof verifyProof, typeof loadSigner, typeof generateKeyFiles);
`);
    const out = sh(process.execPath, ['esm.mjs'], consumer);
    expect(out.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 1 function function function');
  });

  it('CommonJS require() of the SDK works (require(esm), Node >= 20.19)', () => {
    writeFileSync(join(consumer, 'cjs.cjs'), `
const { sha256, toHex } = require('@sigsum-kit/sdk');
const { loadSigner } = require('@sigsum-kit/sdk/node');
console.log(toHex(sha256(new TextEncoder().encode('abc'))), typeof loadSigner);
`);
    const out = sh(process.execPath, ['cjs.cjs'], consumer);
    expect(out.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad function');
  });

  it('a TypeScript consumer type-checks with moduleResolution node16 and bundler, and type errors are caught', () => {
    const tsc = join(clone, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(join(consumer, 'app.ts'), `
import { parseProof, verifyProof, type ProofVerification, type Policy, ParseError } from '@sigsum-kit/sdk';
import { loadSigner } from '@sigsum-kit/sdk/node';
export async function check(proofText: string, data: Uint8Array, policy: Policy): Promise<string> {
  try {
    const result: ProofVerification = await verifyProof(parseProof(proofText), { data, submitterKeys: [], policy });
    return result.ok ? 'ok' : result.message;
  } catch (e) {
    return e instanceof ParseError ? e.code : String(e);
  }
}
export const signer = loadSigner;
`);
    writeFileSync(join(consumer, 'bad.ts'), `import { sha256 } from '@sigsum-kit/sdk';\nexport const n: number = sha256(new Uint8Array(0));\n`);
    const base = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: ['node'], skipLibCheck: false };
    for (const [name, options] of [
      ['node16', { module: 'node16', moduleResolution: 'node16' }],
      ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ] as const) {
      writeFileSync(join(consumer, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['app.ts'] }));
      sh(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], consumer);
      writeFileSync(join(consumer, `tsconfig.${name}-bad.json`), JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['bad.ts'] }));
      const bad = spawnSync(process.execPath, [tsc, '-p', `tsconfig.${name}-bad.json`], { cwd: consumer, encoding: 'utf8' });
      expect(bad.status, name).not.toBe(0);
      expect(bad.stdout, name).toContain("is not assignable to type 'number'");
    }
  }, 120_000);

  it('Vite builds a one-page verifier from the installed package with no Node built-in in the bundle', () => {
    const web = join(consumer, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), `<!doctype html><html><body><textarea id="proof"></textarea><pre id="out"></pre><script type="module" src="./main.ts"></script></body></html>\n`);
    writeFileSync(join(web, 'main.ts'), `
import { parseOpenSshPublicKeys, parsePolicy, parseProof, verifyProof } from '@sigsum-kit/sdk';
const out = document.getElementById('out')!;
document.getElementById('proof')!.addEventListener('change', async (ev) => {
  const proof = parseProof((ev.target as HTMLTextAreaElement).value);
  const policy = parsePolicy('quorum none\\n');
  const r = await verifyProof(proof, { data: new Uint8Array(0), submitterKeys: parseOpenSshPublicKeys('').map((k) => k.publicKey), policy });
  out.textContent = r.ok ? 'valid' : r.message;
});
`);
    const vite = join(clone, 'node_modules', 'vite', 'bin', 'vite.js');
    const log = sh(process.execPath, [vite, 'build', web, '--emptyOutDir'], consumer);
    expect(log).not.toMatch(/externalized for browser compatibility/);
    const assets = join(web, 'dist', 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const bundle = js.map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
    expect(bundle).toContain('quorum');
    expect(bundle).not.toMatch(/["'`]node:[a-z_/]+["'`]/);
    expect(bundle).not.toContain('__vite-browser-external');
    expect(bundle).not.toMatch(/require\(["'](fs|path|crypto|child_process|net|os)["']\)/);
  }, 120_000);

  it('npx sigsum --help and npx sigsum-log --help run the installed packages', () => {
    expect(sh('npx', ['--offline', 'sigsum', '--help'], consumer)).toContain('Usage: sigsum');
    expect(sh('npx', ['--offline', 'sigsum-log', '--help'], consumer)).toContain('Usage: sigsum-log');
  });

  it('the reference log runs from the installed package alone: init, primary, submit, verify', async () => {
    const bin = (name: string) => join(consumer, 'node_modules', '.bin', name);
    const dir = join(consumer, 'log');
    sh(bin('sigsum-log'), ['init', '--dir', dir], consumer);
    const port = await freePort();
    const internal = await freePort();
    const configFile = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({ ...config, listen: `127.0.0.1:${port}`, internalListen: `127.0.0.1:${internal}`, intervalMs: 200, logLevel: 'warn' }));
    const out = join(consumer, 'log.out');
    const p = spawn('bash', ['-c', `exec ${bin('sigsum-log')} primary -c ${configFile} >${out} 2>&1`], { cwd: consumer, env: freshEnv(), detached: true, stdio: 'ignore' });
    procs.push(p);
    const url = `http://127.0.0.1:${port}/`;
    await waitForHttp(`${url}get-tree-head`, 30_000, p, () => readFileSync(out, 'utf8'));

    const logKey = sh(bin('sigsum'), ['key', 'to-hex', '-k', join(dir, 'log.key.pub')], consumer).trim();
    writeFileSync(join(consumer, 'policy'), `log ${logKey} ${url}\nquorum none\n`);
    sh(bin('sigsum'), ['key', 'generate', '-o', join(consumer, 'submitter.key')], consumer);
    writeFileSync(join(consumer, 'release.txt'), 'installed from the tarball\n');
    sh(bin('sigsum'), ['submit', '-k', 'submitter.key', '-p', 'policy', 'release.txt'], consumer);
    const verify = spawnSync(bin('sigsum'), ['verify', '-k', 'submitter.key.pub', '-p', 'policy', 'release.txt.proof'], { cwd: consumer, input: readFileSync(join(consumer, 'release.txt')), encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    await stopGroup(p);
  }, 90_000);
});
