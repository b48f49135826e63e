// Submit end to end in Chromium against the local stack as real processes (a
// primary log on SQLite and two witnesses): generate a key in the page, submit
// a file, watch 202 → 200 → cosigned tree head, download the proof and the
// public key, and verify them with the `sigsum` command.
import { test, expect, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProof, toHex } from '@sigsum-kit/sdk';
import { freePort, sigsumCli, startLocalStack, type LocalStack } from '../stack/local-stack.mjs';
import { demoUrl, saveScreenshot } from './helpers.js';

let stack: LocalStack;
let dir: string;
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'web-demo-stack-'));
  stack = await startLocalStack({ dir: join(dir, 'stack'), witnesses: 2, intervalMs: 300 });
});
test.afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `sigsum verify -k PUB -p POLICY PROOF < DATA`: exit code and stderr. */
function sigsumVerify(pub: string, policy: string, proof: string, data: Buffer): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [sigsumCli, 'verify', '-k', pub, '-p', policy, proof], { input: data, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

async function downloadTo(page: Page, button: string, path: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  await dl.saveAs(path);
  return dl.suggestedFilename();
}

test('submit: a file signed in the browser gets a cosigned proof that `sigsum verify` accepts', async ({ page }) => {
  const data = Buffer.from(`release notes ${Date.now()}\n`);
  // No network beyond 127.0.0.1 (the demo and the local log).
  const hosts = new Set<string>();
  page.on('request', (req) => { if (!req.url().startsWith('data:') && !req.url().startsWith('blob:')) hosts.add(new URL(req.url()).hostname); });
  await page.goto(`${demoUrl()}/index.html#submit`);
  await page.click('#s-gen');
  await expect(page.locator('#s-pub')).toHaveText(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S+ sigsum-kit web demo$/);
  await page.setInputFiles('#s-data-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: data });
  await page.fill('#s-policy', stack.policy);
  await page.click('#s-run');
  await expect(page.locator('#s-status li.ok', { hasText: 'proof ready' })).toBeVisible({ timeout: 60_000 });

  // The live status: 202 first; then the log's 200 (to add-leaf, or as the inclusion
  // proof in a cosigned tree head: the SDK follows tree heads and may never need
  // to repeat add-leaf); a tree head holding the leaf with both cosignatures; the proof last.
  const lines = await page.locator('#s-status li').allTextContents();
  const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  const accepted = at(/add-leaf → 202 Accepted/);
  expect(accepted).toBe(1);
  const head = at(/cosigned tree head: size [1-9][0-9]*, 2 cosignature\(s\)/);
  expect(head).toBeGreaterThan(accepted);
  const ready = /proof ready: leaf \d+ in a tree of size (\d+) with 2 cosignature\(s\); verified in this browser/.exec(lines[lines.length - 1]!);
  expect(ready).not.toBeNull();
  // A tree of size 1 needs no inclusion proof; any larger one was fetched after the 202.
  if (ready![1] !== '1') expect(at(/inclusion proof → 200/)).toBeGreaterThan(accepted);
  // Every stage of the progress bar is lit.
  await expect(page.locator('#s-stages li.done')).toHaveCount(5);
  await saveScreenshot(page, 'submit');

  const proofPath = join(dir, 'notes.txt.proof');
  const pubPath = join(dir, 'submitter.key.pub');
  expect(await downloadTo(page, '#s-dl-proof', proofPath)).toBe('notes.txt.proof');
  expect(await downloadTo(page, '#s-dl-pub', pubPath)).toBe('submitter.key.pub');
  const proofText = readFileSync(proofPath, 'utf8');
  expect(proofText).toBe(await page.locator('#s-proof').textContent());
  const proof = parseProof(proofText);
  expect(proof.treeHead.cosignatures.map((c) => toHex(c.keyHash)).sort()).toHaveLength(2);

  // The sigsum command verifies the downloaded proof with the stack's policy...
  const ok = sigsumVerify(pubPath, stack.policyFile, proofPath, data);
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  // ...and rejects it for other data.
  const bad = sigsumVerify(pubPath, stack.policyFile, proofPath, Buffer.from('other data\n'));
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toMatch(/signature/i);

  // "Verify this proof" hands everything to the verify page, where it passes all six steps.
  await page.click('#s-verify');
  await expect(page.locator('section#verify')).toBeVisible();
  await expect(page.locator('#v-proof-info')).toHaveText(`notes.txt.proof (${Buffer.byteLength(proofText)} bytes)`);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('#v-step-5')).toContainText('witness W1');
  await expect(page.locator('#v-step-5')).toContainText('witness W2');

  // The explorer shows the same log with both witnesses' cosignatures verified.
  await page.goto(`${demoUrl()}/index.html#explore`);
  await page.fill('#x-url', stack.logUrl);
  await page.fill('#x-policy', stack.policy);
  await page.click('#x-load');
  await expect(page.locator('#x-quorum')).toContainText('✓ log signature valid');
  await expect(page.locator('#x-cosigs')).toContainText('W1: verified');
  await expect(page.locator('#x-cosigs')).toContainText('W2: verified');
  await saveScreenshot(page, 'explore-stack');
  expect([...hosts]).toEqual(['127.0.0.1']);
});

test('submit: an imported OpenSSH private key signs like the sigsum command', async ({ page }) => {
  const keyPath = join(dir, 'imported.key');
  const gen = spawnSync(process.execPath, [sigsumCli, 'key', 'generate', '-o', keyPath], { encoding: 'utf8' });
  expect(gen.status).toBe(0);
  await page.goto(`${demoUrl()}/index.html#submit`);
  await page.fill('#s-import', readFileSync(keyPath, 'utf8'));
  await page.click('#s-import-run');
  const pub = readFileSync(`${keyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  await expect(page.locator('#s-pub')).toHaveText(`${pub} sigsum-kit web demo`);
  // A public key is not enough in a browser.
  await page.fill('#s-import', readFileSync(`${keyPath}.pub`, 'utf8'));
  await page.click('#s-import-run');
  await expect(page.locator('#s-key-error')).toHaveText('cannot import the key: this is a public key; the browser needs the private key file (it cannot reach ssh-agent)');
  await page.fill('#s-import', 'garbage');
  await page.click('#s-import-run');
  await expect(page.locator('#s-key-error')).toHaveText(/^cannot import the key: private key: /);
});

test('submit: failures are explained', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#submit`);
  const last = page.locator('#s-status li').last();
  await page.click('#s-run');
  await expect(last).toContainText('Generate or import a key first.');
  await page.click('#s-gen');
  await page.click('#s-run');
  await expect(last).toContainText('Pick a file (or type some text) to submit.');
  await page.fill('#s-data', 'hello');
  await page.fill('#s-policy', 'log 00\n');
  await page.click('#s-run');
  await expect(last).toContainText('policy: line 1');
  const logKey = stack.logKeyHex;
  await page.fill('#s-policy', `log ${logKey}\nquorum none\n`);
  await page.click('#s-run');
  await expect(last).toContainText('policy: no log line has a URL');
  const port = await freePort();
  await page.fill('#s-policy', `log ${logKey} http://127.0.0.1:${port}/\nquorum none\n`);
  await page.click('#s-run');
  await expect(last).toContainText(`no log accepted the leaf (http://127.0.0.1:${port}/)`, { timeout: 30_000 });
  await expect(last).toContainText('CORS');
});

test('submit: the downloaded key pair works with the sigsum command', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#submit`);
  await page.click('#s-gen');
  const keyPath = join(dir, 'browser.key');
  expect(await downloadTo(page, '#s-dl-priv', keyPath)).toBe('submitter.key');
  expect(await downloadTo(page, '#s-dl-pub', `${keyPath}.pub`)).toBe('submitter.key.pub');
  // Sign with the downloaded private key, verify with the downloaded public key.
  const sign = spawnSync(process.execPath, [sigsumCli, 'key', 'sign', '-k', keyPath, '-o', `${keyPath}.sig`], { input: 'demo', encoding: 'utf8' });
  expect(sign.stderr).toBe('');
  expect(sign.status).toBe(0);
  const verify = spawnSync(process.execPath, [sigsumCli, 'key', 'verify', '-k', `${keyPath}.pub`, '-s', `${keyPath}.sig`], { input: 'demo', encoding: 'utf8' });
  expect(verify.stderr).toBe('');
  expect(verify.status).toBe(0);
  const wrong = spawnSync(process.execPath, [sigsumCli, 'key', 'verify', '-k', `${keyPath}.pub`, '-s', `${keyPath}.sig`], { input: 'other', encoding: 'utf8' });
  expect(wrong.status).not.toBe(0);
});
