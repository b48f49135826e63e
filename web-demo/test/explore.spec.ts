// The explorer against a real reference log: tree head, recent leaves, the tree
// picture with an inclusion path checked against the log, consistency between
// two tree heads; and the messages for an unreachable log and a CORS refusal.
import { test, expect } from '@playwright/test';
import { LogClient, toHex } from '@sigsum-kit/sdk';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { demoUrl, saveScreenshot } from './helpers.js';
import { addLeaves, startTestLog, type TestLog } from './stack.js';

let log: TestLog;
test.beforeAll(async () => { log = await startTestLog({ cors: true }); });
test.afterAll(async () => { await log?.close(); });

test('explore: tree head, leaves, inclusion path and consistency', async ({ page }) => {
  const oldSize = await addLeaves(log, 5, 'first');
  const oldHead = await new LogClient({ url: log.url }).getTreeHead();
  expect(oldHead.size).toBe(oldSize);
  const newSize = await addLeaves(log, 6, 'second');

  await page.goto(`${demoUrl()}/index.html#explore`);
  await page.fill('#x-url', log.url);
  await page.fill('#x-policy', log.policy);
  await page.click('#x-load');
  await expect(page.locator('#x-size')).toHaveText(String(newSize));
  await expect(page.locator('#x-quorum')).toContainText('✓ log signature valid');
  await expect(page.locator('#x-recent tr')).toHaveCount(11); // header + 10 most recent
  await expect(page.locator('#x-root-check')).toHaveText(`✓ the ${newSize} leaves hash to the signed root hash`);
  await expect(page.locator('#x-picture svg [data-leaf]')).toHaveCount(Number(newSize));
  await expect(page.locator('#x-path-check')).toContainText("✓ the log's inclusion proof has exactly these hashes");

  // Pick leaf 2 by clicking it in the picture: its route and 4 proof hashes (11 leaves) are highlighted.
  await page.locator('#x-picture svg [data-leaf="2"]').click();
  await expect(page.locator('#x-leaf')).toHaveValue('2');
  await expect(page.locator('#x-picture rect.chosen')).toHaveCount(1);
  await expect(page.locator('#x-picture rect.path')).toHaveCount(4);
  await expect(page.locator('#x-path-check')).toContainText('✓');
  await saveScreenshot(page, 'explore');

  // Consistency with the older tree head (pasted), then with a forged root.
  await page.fill('#x-old-size', String(oldSize));
  await page.fill('#x-old-root', toHex(oldHead.rootHash));
  await page.click('#x-cons-run');
  await expect(page.locator('#x-cons-verdict')).toHaveText(`✓ size ${oldSize} → ${newSize}: consistent (${consistencyLength(oldSize, newSize)} proof hashes)`);
  const forged = toHex(oldHead.rootHash).replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await page.fill('#x-old-root', forged);
  await page.click('#x-cons-run');
  await expect(page.locator('#x-cons-verdict')).toContainText('✗');
  await expect(page.locator('#x-cons-verdict')).toContainText('consistency');
});

/** Number of hashes in an RFC 9162 consistency proof (SUBPROOF, counted independently of the SDK). */
function consistencyLength(m: bigint, n: bigint): number {
  let count = 0;
  let complete = true;
  while (m !== n) {
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    count++; // the other subtree's hash
    if (m <= k) { n = k; } else { m -= k; n -= k; complete = false; }
  }
  return count + (complete ? 0 : 1);
}

test('explore: an unreachable log gets a clear message', async ({ page }) => {
  const port = await closedPort();
  await page.goto(`${demoUrl()}/index.html#explore`);
  await page.fill('#x-url', `http://127.0.0.1:${port}/`);
  await page.click('#x-load');
  await expect(page.locator('#x-error')).toHaveText(`cannot reach the log at http://127.0.0.1:${port}/: it is not running, the address is wrong, or it does not allow requests from this page (CORS). Open http://127.0.0.1:${port}/get-tree-head in a new tab: if that works, the log's CORS settings block this page.`);
});

test('explore: a log without CORS for this page gets the CORS hint', async ({ page }) => {
  const noCors = await startTestLog({ cors: false });
  try {
    // The log itself works (Node has no CORS)...
    expect((await new LogClient({ url: noCors.url }).getTreeHead()).size).toBe(0n);
    // ...but the browser is refused, and says why it might be.
    await page.goto(`${demoUrl()}/index.html#explore`);
    await page.fill('#x-url', noCors.url);
    await page.click('#x-load');
    await expect(page.locator('#x-error')).toContainText(`cannot reach the log at ${noCors.url}`);
    await expect(page.locator('#x-error')).toContainText('CORS');
  } finally {
    await noCors.close();
  }
});

test('explore: an HTTP error and a malformed answer are reported as such', async ({ page }) => {
  // A server that is not a log: 404 for get-tree-head; and one that answers 200 with garbage.
  const bogus = createHttpServer((req, res) => {
    const headers = { 'access-control-allow-origin': '*', 'content-type': 'text/plain' };
    if (req.url?.startsWith('/garbage/')) { res.writeHead(200, headers); res.end('size=banana\n'); return; }
    res.writeHead(404, headers);
    res.end('no such endpoint\n');
  });
  await new Promise<void>((ok) => bogus.listen(0, '127.0.0.1', ok));
  const a = bogus.address();
  const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
  try {
    await page.goto(`${demoUrl()}/index.html#explore`);
    await page.fill('#x-url', base);
    await page.click('#x-load');
    await expect(page.locator('#x-error')).toHaveText(`the log at ${base} answered HTTP 404: no such endpoint (${base}get-tree-head)`);
    await page.fill('#x-url', `${base}garbage/`);
    await page.click('#x-load');
    await expect(page.locator('#x-error')).toContainText(`the log at ${base}garbage/ sent a malformed answer: `);
    await expect(page.locator('#x-error')).toContainText('size');
  } finally {
    bogus.close();
  }
});

test('explore: malformed inputs are named', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#explore`);
  await page.fill('#x-url', 'not a url');
  await page.click('#x-load');
  await expect(page.locator('#x-error')).toHaveText('log URL "not a url" is not a URL (expected e.g. http://127.0.0.1:6965/)');
  await page.fill('#x-url', 'ftp://127.0.0.1/');
  await page.click('#x-load');
  await expect(page.locator('#x-error')).toHaveText('log URL must be http(s), got ftp:');
  await page.fill('#x-url', log.url);
  await page.fill('#x-policy', 'log zz\n');
  await page.click('#x-load');
  await expect(page.locator('#x-error')).toContainText('policy: line 1');
});

/** A port nothing listens on: bind, note the port, close. */
async function closedPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

test('explore: a preset log (?log=) is shown at once, without pressing Load', async ({ page }) => {
  const size = await addLeaves(log, 2, 'preset');
  await page.goto(`${demoUrl()}/index.html?log=${encodeURIComponent(log.url)}#explore`);
  await expect(page.locator('#x-url')).toHaveValue(log.url);
  await expect(page.locator('#x-size')).toHaveText(new RegExp(`^\\d+$`));
  expect(BigInt((await page.locator('#x-size').textContent()) ?? '0')).toBeGreaterThanOrEqual(size);
  await expect(page.locator('#x-recent tr').first()).toBeVisible();
});

test('explore: without a preset log nothing is fetched until Load', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => { if (r.url().includes('get-tree-head')) requests.push(r.url()); });
  await page.goto(`${demoUrl()}/index.html#explore`);
  await expect(page.locator('#x-head')).toHaveText('Load a log to see its tree head.');
  await page.waitForTimeout(300);
  expect(requests).toEqual([]);
});
