// `npm start` serves the demo with the Vite dev server, not the build: the
// pages, the vector suite and the stack defaults must work there too.
import { test, expect } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import type { SuiteRun } from '../src/suites.js';

const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const stack = { logUrl: 'http://127.0.0.1:6965/', policy: 'log 0000000000000000000000000000000000000000000000000000000000000001 http://127.0.0.1:6965/\nquorum none\n' };
let server: ViteDevServer;
let url: string;

test.beforeAll(async () => {
  // What scripts/start-stack.mjs hands to the demo.
  process.env.SIGSUM_STACK_JSON = JSON.stringify(stack);
  try {
    server = await createServer({ configFile, server: { port: 0, host: '127.0.0.1' }, logLevel: 'silent' });
    await server.listen();
  } finally {
    delete process.env.SIGSUM_STACK_JSON;
  }
  url = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
});
test.afterAll(async () => { await server?.close(); });

test('dev server: the vector suite passes and the example proof verifies', async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${url}/vectors.html`);
  await page.waitForFunction(() => window.__vectorResults !== undefined || window.__vectorError !== undefined, undefined, { timeout: 200_000 });
  expect(await page.evaluate(() => window.__vectorError)).toBeUndefined();
  const runs = (await page.evaluate(() => window.__vectorResults)) as SuiteRun[];
  expect(runs.filter((r) => r.error !== undefined)).toEqual([]);
  expect(runs.flatMap((r) => r.results).filter((c) => !c.pass)).toEqual([]);
  expect(runs.flatMap((r) => r.results).length).toBeGreaterThan(0);

  await page.goto(`${url}/index.html#verify`);
  await page.click('#v-example');
  await expect(page.locator('#v-proof-info')).toHaveText(/^example\.txt\.proof /);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  expect(errors).toEqual([]);
});

test('dev server: the local stack defaults fill the pages', async ({ page }) => {
  await page.goto(`${url}/index.html#submit`);
  await expect(page.locator('#s-policy')).toHaveValue(stack.policy);
  await page.goto(`${url}/index.html#explore`);
  await expect(page.locator('#x-url')).toHaveValue(stack.logUrl);
  await expect(page.locator('#x-policy')).toHaveValue(stack.policy);
  await page.goto(`${url}/index.html#verify`);
  await expect(page.locator('#v-policy')).toHaveValue(stack.policy);
});
