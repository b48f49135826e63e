// The whole shared vector suite, replayed in Chromium through the browser build
// of the SDK, must give the same verdicts as the same suite modules run in Node.
import { test, expect } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { runSuites, verdictLines, type SuiteModule, type SuiteRun } from '../src/suites.js';
import { demoUrl, saveScreenshot } from './helpers.js';

const suiteDir = fileURLToPath(new URL('../../test-vectors/suite/', import.meta.url));
const suiteFiles = readdirSync(suiteDir).filter((f) => f.endsWith('.ts') && f !== 'types.ts').sort();

test('vector suite: every case passes in Chromium with the same verdicts as in Node', async ({ page }) => {
  test.setTimeout(300_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${demoUrl()}/vectors.html`);
  await page.waitForFunction(() => window.__vectorResults !== undefined || window.__vectorError !== undefined, undefined, { timeout: 240_000 });
  expect(await page.evaluate(() => window.__vectorError)).toBeUndefined();
  const browser = (await page.evaluate(() => window.__vectorResults)) as SuiteRun[];
  await saveScreenshot(page, 'vectors');
  // Chromium has Ed25519 in WebCrypto: the SDK's fast path is the one in use.
  expect(await page.evaluate(() => window.__ed25519Backend)).toBe('webcrypto');
  expect(pageErrors).toEqual([]);

  // The same suite modules in this Node process.
  const modules: Array<[string, SuiteModule]> = [];
  for (const f of suiteFiles) modules.push([f.replace(/\.ts$/, ''), (await import(pathToFileURL(join(suiteDir, f)).href)) as SuiteModule]);
  const node = await runSuites(modules);

  // Every suite module on disk ran in the browser.
  const browserModules = [...new Set(browser.map((r) => r.suite.split(':')[0]))].sort();
  const nodeModules = [...new Set(node.map((r) => r.suite.split(':')[0]))].sort();
  expect(browserModules).toEqual(nodeModules);
  expect(nodeModules.length).toBe(suiteFiles.length);

  // Every case passes in the browser, and the verdict lists are identical.
  const failing = verdictLines(browser.map((r) => ({ ...r, results: r.results.filter((c) => !c.pass) })));
  expect(failing).toEqual([]);
  expect(verdictLines(browser)).toEqual(verdictLines(node));
});
