// The explorer reading a real reference log through tlog-tiles: the checkpoint
// verified under the policy, leaves from entry bundles, the inclusion path and
// the consistency check computed from tiles; and a tile server that flips one
// byte of an entry bundle (a tiny proxy in front of the log) caught with the
// SDK's precise error.
import { test, expect } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { LogClient, leafHashOf, toHex } from '@sigsum-kit/sdk';
import { demoUrl, saveScreenshot } from './helpers.js';
import { addLeaves, startTestLog, type TestLog } from './stack.js';

let log: TestLog;
test.beforeAll(async () => { log = await startTestLog({ cors: true }); });
test.afterAll(async () => { await log?.close(); });

/** A proxy to the log's tiles that passes `lie` over every body (CORS open, no compression). */
async function tileProxy(target: string, lie: (path: string, body: Buffer) => Buffer): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => void (async () => {
    const path = (req.url ?? '/').slice(1);
    const r = await fetch(target + path);
    const body = lie(path, Buffer.from(await r.arrayBuffer()));
    res.writeHead(r.status, { 'access-control-allow-origin': '*', 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(body);
  })());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server };
}

test('explore through tiles: checkpoint, leaves, inclusion path and consistency', async ({ page }) => {
  const oldSize = await addLeaves(log, 5, 'tiles-first');
  const oldHead = await new LogClient({ url: log.url }).getTreeHead();
  const size = await addLeaves(log, 7, 'tiles-second');
  const head = await new LogClient({ url: log.url }).getTreeHead();
  expect(head.size).toBe(size);

  await page.goto(`${demoUrl()}/index.html#explore`);
  await page.fill('#x-url', log.url);
  await page.selectOption('#x-via', 'tiles');
  await page.fill('#x-policy', log.policy);
  await page.click('#x-load');
  await expect(page.locator('#x-size')).toHaveText(String(size));
  await expect(page.locator('#x-via-note')).toContainText('Read through tiles');
  await expect(page.locator('#x-head')).toContainText(toHex(head.rootHash).slice(0, 32));
  await expect(page.locator('#x-quorum')).toContainText('✓ log signature valid');
  await expect(page.locator('#x-recent tr')).toHaveCount(11); // header + 10 most recent
  // The newest leaf's hash, as the v1 API has it.
  const newest = (await new LogClient({ url: log.url }).getLeaves(size - 1n, size))[0]!;
  await expect(page.locator('#x-recent tr').nth(1)).toContainText(toHex(leafHashOf(newest)).slice(0, 12));
  await expect(page.locator('#x-root-check')).toHaveText(`✓ the ${size} leaves hash to the signed root hash`);
  await expect(page.locator('#x-path-check')).toHaveText("✓ the tiles' inclusion proof has exactly these hashes, and it verifies against the signed root hash");
  await page.locator('#x-picture svg [data-leaf="3"]').click();
  await expect(page.locator('#x-leaf')).toHaveValue('3');
  await expect(page.locator('#x-path-check')).toContainText("✓ the tiles' inclusion proof");
  await saveScreenshot(page, 'explore-tiles');

  await page.fill('#x-old-size', String(oldSize));
  await page.fill('#x-old-root', toHex(oldHead.rootHash));
  await page.click('#x-cons-run');
  await expect(page.locator('#x-cons-verdict')).toContainText(`✓ size ${oldSize} → ${size}: consistent`);
});

test('explore through tiles: a tile server that flips one byte is caught, with the precise error', async ({ page }) => {
  const size = Number(await addLeaves(log, 3, 'tiles-liar'));
  const bundle = `tile/entries/000.p/${size}`;
  const victim = size - 2;
  // One bit of one entry's signature flipped (each entry: a 2-byte length, then 128 bytes).
  const proxy = await tileProxy(log.url, (path, body) => {
    if (path !== bundle) return body;
    const b = Buffer.from(body);
    b[2 + 130 * victim + 40]! ^= 0x01;
    return b;
  });
  try {
    await page.goto(`${demoUrl()}/index.html#explore`);
    await page.fill('#x-url', proxy.url);
    await page.selectOption('#x-via', 'tiles');
    await page.fill('#x-policy', log.policy);
    await page.click('#x-load');
    await expect(page.locator('#x-error')).toHaveText(
      `the tile server at ${proxy.url} sent data that does not match the log's signed checkpoint: ${bundle}: entry ${victim} does not hash to the leaf hash in the partial level-0 tile [tiles.bundle-mismatch]`,
    );
    // No leaf of the lying bundle reached the page.
    await expect(page.locator('#x-recent tr')).toHaveCount(0);

    // Tiles without a policy are refused up front.
    await page.fill('#x-policy', '');
    await page.click('#x-load');
    await expect(page.locator('#x-error')).toHaveText("reading through tiles needs a policy: the checkpoint is only trusted once the policy's log key (and quorum) verify it");
  } finally {
    await new Promise((res) => proxy.server.close(res));
  }
});
