// The pure-JS Ed25519 fallback in a real browser: WebCrypto's Ed25519 is made
// unavailable before the page loads (as in a browser without it), so the SDK's
// probe must pick the noble path, load it on demand, and give Go's verdicts on
// the whole shared vector suite, identical to Node's.
import { test, expect } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { runSuites, verdictLines, type SuiteModule, type SuiteRun } from '../src/suites.js';
import { demoUrl } from './helpers.js';

const suiteDir = fileURLToPath(new URL('../../test-vectors/suite/', import.meta.url));
const suiteFiles = readdirSync(suiteDir).filter((f) => f.endsWith('.ts') && f !== 'types.ts').sort();
/** The suite that calls WebCrypto directly: without Ed25519 there, it must fail. */
const WEBCRYPTO_SUITE = 'cctv:checkCctv(webcrypto)';

test('without WebCrypto Ed25519 the SDK falls back to noble with Go verdicts on every vector', async ({ page }) => {
  test.setTimeout(300_000);
  await page.addInitScript(() => {
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    const isEd25519 = (alg: unknown) => alg === 'Ed25519' || (typeof alg === 'object' && alg !== null && (alg as { name?: string }).name === 'Ed25519');
    Object.defineProperty(subtle, 'importKey', {
      value: (format: never, keyData: never, alg: unknown, extractable: boolean, usages: never) =>
        isEd25519(alg) ? Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError')) : importKey(format, keyData, alg as never, extractable, usages),
    });
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${demoUrl()}/vectors.html`);
  await page.waitForFunction(() => window.__vectorResults !== undefined || window.__vectorError !== undefined, undefined, { timeout: 240_000 });
  expect(await page.evaluate(() => window.__vectorError)).toBeUndefined();
  expect(await page.evaluate(() => window.__ed25519Backend)).toBe('noble');
  expect(pageErrors).toEqual([]);
  const browser = (await page.evaluate(() => window.__vectorResults)) as SuiteRun[];

  // The direct WebCrypto path now rejects everything: Go accepts 208 of the 914 CCTV vectors.
  const direct = browser.find((r) => r.suite === WEBCRYPTO_SUITE)!;
  expect(direct.results.filter((c) => !c.pass).length).toBe(208);

  const modules: Array<[string, SuiteModule]> = [];
  for (const f of suiteFiles) modules.push([f.replace(/\.ts$/, ''), (await import(pathToFileURL(join(suiteDir, f)).href)) as SuiteModule]);
  const node = (await runSuites(modules)).filter((r) => r.suite !== WEBCRYPTO_SUITE);
  const fallback = browser.filter((r) => r.suite !== WEBCRYPTO_SUITE);
  expect(verdictLines(fallback.map((r) => ({ ...r, results: r.results.filter((c) => !c.pass) })))).toEqual([]);
  expect(verdictLines(fallback)).toEqual(verdictLines(node));
});
