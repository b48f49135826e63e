// The smallest browser verifier, as an app would ship it: a Vite build of
// parsePolicy + parseProof + verifyProof alone, served on 127.0.0.1. Where
// WebCrypto passes the probe, the page loads only the up-front chunks (no
// @noble code) and hashes with crypto.subtle.digest; without WebCrypto's
// Ed25519, or without crypto.subtle at all, it loads the pure-JS chunks on
// demand. On each path every proof vector gets the verdict the SDK gives in Node.
import { test, expect, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import * as sdk from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { proofVerdicts, type ProofInput } from './proof-verdicts.js';

const r = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

interface Chunk {
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
  moduleIds: string[];
}

let chunks: Chunk[];
let upFront: Set<string>;
let server: Server;
let url: string;
let cases: ProofInput[];
let nodeVerdicts: string[];
const requested: string[] = [];

test.beforeAll(async () => {
  const entry = '\0verify-entry';
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: [{ find: /^@sigsum-kit\/sdk$/, replacement: r('../../sdk/src/index.ts') }] },
    plugins: [{
      name: 'verify-entry',
      resolveId: (id) => (id === entry ? id : null),
      load: (id) => (id === entry
        ? `import { parsePolicy, parseProof, verifyProof, SigsumError } from '@sigsum-kit/sdk';\nimport { proofVerdicts } from ${JSON.stringify(r('./proof-verdicts.ts'))};\nwindow.__verdicts = (cases) => proofVerdicts({ parsePolicy, parseProof, verifyProof, SigsumError }, cases);\n`
        : null),
    }],
    build: { write: false, minify: true, target: 'es2022', rolldownOptions: { input: entry, output: { format: 'es' } } },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((o) => o.type === 'chunk')
    .map((c) => ({ fileName: c.fileName, code: c.code, isEntry: c.isEntry, imports: c.imports, moduleIds: c.moduleIds }));
  upFront = new Set();
  const visit = (name: string): void => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const i of chunks.find((c) => c.fileName === name)?.imports ?? []) visit(i);
  };
  visit(chunks.find((c) => c.isEntry)!.fileName);

  server = createServer((req, res) => {
    const path = (req.url ?? '/').slice(1);
    requested.push(path);
    const chunk = chunks.find((c) => c.fileName === path);
    if (chunk) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(chunk.code);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><meta charset="utf-8"><script type="module" src="/${chunks.find((c) => c.isEntry)!.fileName}"></script>`);
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;

  // Every proof case whose key file parses (the key file is not part of this bundle).
  cases = [];
  for (const c of (await loadSigsumVectors('proofs')).cases) {
    let keys: string[];
    try {
      keys = sdk.parseOpenSshPublicKeys(c.key_file).map((k) => sdk.toHex(k.publicKey));
    } catch {
      continue;
    }
    cases.push({ name: c.name, proof: c.proof, policy: c.policy, data: c.data, keys });
  }
  nodeVerdicts = await proofVerdicts(sdk, cases);
});

test.afterAll(async () => {
  await new Promise((ok) => server.close(ok));
});

/** Whether a chunk holds @noble code (the pure-JS Ed25519 or SHA-256). */
const isNoble = (c: Chunk): boolean => c.moduleIds.some((id) => id.includes('@noble/'));

/** Load the page, count crypto.subtle.digest calls, run every case; the verdicts and the chunks fetched. */
async function run(page: Page): Promise<{ verdicts: string[]; fetched: string[]; digests: number }> {
  await page.addInitScript(() => {
    const w = window as unknown as { __digests: number };
    w.__digests = 0;
    const subtle = globalThis.crypto.subtle as SubtleCrypto | undefined;
    if (subtle === undefined) return;
    const digest = subtle.digest.bind(subtle);
    Object.defineProperty(subtle, 'digest', { value: (alg: AlgorithmIdentifier, data: BufferSource) => (w.__digests++, digest(alg, data)) });
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  requested.length = 0;
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as unknown as { __verdicts?: unknown }).__verdicts === 'function');
  const verdicts = await page.evaluate((c) => (window as unknown as { __verdicts: (c: ProofInput[]) => Promise<string[]> }).__verdicts(c), cases);
  expect(errors).toEqual([]);
  const digests = await page.evaluate(() => (window as unknown as { __digests: number }).__digests);
  return { verdicts, fetched: requested.filter((p) => p.endsWith('.js')), digests };
}

test('the build: no @noble code up front, and pure-JS chunks to load on demand', () => {
  expect(chunks.filter((c) => upFront.has(c.fileName) && isNoble(c)).map((c) => c.fileName)).toEqual([]);
  expect(chunks.filter((c) => !upFront.has(c.fileName) && isNoble(c)).length).toBeGreaterThan(0);
  // The vectors hold valid proofs and proofs rejected at every stage.
  expect(nodeVerdicts.filter((v) => v.endsWith(': valid')).length).toBeGreaterThan(10);
  expect(nodeVerdicts.some((v) => / step \d /.test(v)) && nodeVerdicts.some((v) => / proof /.test(v)) && nodeVerdicts.some((v) => / policy /.test(v))).toBe(true);
});

test('WebCrypto: Go verdicts on every proof, hashing with subtle.digest, and no other chunk fetched', async ({ page }) => {
  const { verdicts, fetched, digests } = await run(page);
  expect(verdicts).toEqual(nodeVerdicts);
  expect(digests).toBeGreaterThan(cases.length);
  expect(fetched.length).toBeGreaterThan(0);
  expect(fetched.filter((f) => !upFront.has(f))).toEqual([]);
});

test('without WebCrypto Ed25519: Go verdicts on every proof with the pure-JS Ed25519 chunk', async ({ page }) => {
  await page.addInitScript(() => {
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    Object.defineProperty(subtle, 'importKey', {
      value: (format: never, keyData: never, alg: unknown, extractable: boolean, usages: never) =>
        alg === 'Ed25519' || (alg as { name?: string }).name === 'Ed25519'
          ? Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError'))
          : importKey(format, keyData, alg as never, extractable, usages),
    });
  });
  const { verdicts, fetched, digests } = await run(page);
  expect(verdicts).toEqual(nodeVerdicts);
  expect(digests).toBeGreaterThan(cases.length);
  expect(fetched.filter((f) => isNoble(chunks.find((c) => c.fileName === f)!)).length).toBeGreaterThan(0);
});

test('without crypto.subtle: Go verdicts on every proof with the pure-JS SHA-256 and Ed25519 chunks', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined });
  });
  const { verdicts, fetched, digests } = await run(page);
  expect(verdicts).toEqual(nodeVerdicts);
  expect(digests).toBe(0);
  expect(fetched.filter((f) => isNoble(chunks.find((c) => c.fileName === f)!)).length).toBeGreaterThan(0);
});
