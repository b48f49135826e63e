// The verify page in Chromium: a valid proof from the Go vectors, tampered
// copies (data, proof, policy, key) each rejected at the right step, raw-hash
// mode, and every kind of malformed input named with the SDK's exact error.
import { test, expect, type Page } from '@playwright/test';
import { loadSigsumVectors, type ProofVector } from '@sigsum-kit/test-vectors';
import { SeedSigner, SigsumError, formatOpenSshPublicKey, parseOpenSshPublicKeys, parsePolicy, parseProof, toHex } from '@sigsum-kit/sdk';
import { demoUrl, saveScreenshot } from './helpers.js';


let valid: ProofVector;
test.beforeAll(async () => {
  const v = await loadSigsumVectors('proofs');
  // A 100-leaf tree, 4 cosignatures, a nested 2-of-(all, any) quorum: every step has something to show.
  valid = v.cases.find((c) => c.name === 's100-i57')!;
  expect(valid.expect).toBe('valid');
});

const hexBytes = (h: string): Buffer => Buffer.from(h, 'hex');

/** Fill the page; data goes through the file picker like a user's file. */
async function fill(page: Page, c: { data: Buffer; proof: string | Buffer; policy: string; key: string }): Promise<void> {
  await page.goto(`${demoUrl()}/index.html#verify`);
  await page.setInputFiles('#v-data-file', { name: 'release.tar.gz', mimeType: 'application/octet-stream', buffer: c.data });
  await expect(page.locator('#v-data-info')).toHaveText(`release.tar.gz (${c.data.length} bytes)`);
  if (typeof c.proof === 'string') {
    await page.fill('#v-proof', c.proof);
  } else {
    // A proof file is used byte for byte (a text area would turn CRLF into LF).
    await page.setInputFiles('#v-proof-file', { name: 'release.tar.gz.proof', mimeType: 'text/plain', buffer: c.proof });
    await expect(page.locator('#v-proof-info')).toHaveText(`release.tar.gz.proof (${c.proof.length} bytes)`);
  }
  await page.fill('#v-policy', c.policy);
  await page.fill('#v-key', c.key);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toBeVisible();
}

/** Status of each of the six steps as shown. */
async function statuses(page: Page): Promise<string[]> {
  return await page.locator('ol.steps > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-status') ?? ''));
}

/** Flip the last hex digit of the first line starting with `prefix`. */
function flipLine(text: string, prefix: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(prefix));
  expect(i).toBeGreaterThanOrEqual(0);
  const l = lines[i]!;
  lines[i] = l.slice(0, -1) + (l.endsWith('0') ? '1' : '0');
  return lines.join('\n');
}

test('verify: a valid proof passes all six steps', async ({ page }) => {
  await fill(page, { data: hexBytes(valid.data), proof: valid.proof, policy: valid.policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('#v-verdict')).toHaveText('✓ Valid proof — all six steps passed');
  expect(await statuses(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
  // What was checked is shown: the message, the matching key, each witness, the path.
  await expect(page.locator('#v-step-1')).toContainText(valid.message.slice(0, 16));
  const keyHash = toHex(parseOpenSshPublicKeys(valid.key_file)[0]!.keyHash);
  await expect(page.locator('#v-step-2')).toContainText('← matches');
  await expect(page.locator('#v-step-2 code').first()).toHaveAttribute('title', keyHash);
  const policy = parsePolicy(valid.policy);
  const proof = parseProof(valid.proof);
  for (const w of policy.witnesses) {
    if (proof.treeHead.cosignatures.some((c) => toHex(c.keyHash) === w.keyHashHex)) await expect(page.locator('#v-step-5')).toContainText(`witness ${w.name}`);
  }
  await expect(page.locator('#v-step-5')).toContainText('quorum');
  await expect(page.locator('#v-step-5')).toContainText('holds');
  await expect(page.locator('#v-step-6 dt', { hasText: /^path hash/ })).toHaveCount(proof.inclusion.path.length);
  await saveScreenshot(page, 'verify-valid');
});

test('verify: the example button loads a Go vector proof that verifies', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#verify`);
  await page.click('#v-example');
  await expect(page.locator('#v-proof-info')).toHaveText(`example.txt.proof (${Buffer.byteLength(valid.proof)} bytes)`);
  await expect(page.locator('#v-data-info')).toHaveText(`example.txt (${hexBytes(valid.data).length} bytes)`);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
});

test('verify: tampered data fails at the leaf signature (step 3)', async ({ page }) => {
  const data = hexBytes(valid.data);
  data[0] = data[0]! ^ 1;
  await fill(page, { data, proof: valid.proof, policy: valid.policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '3');
  await expect(page.locator('#v-verdict')).toContainText('step 3 (Leaf signature) failed');
  await expect(page.locator('#v-verdict')).toContainText('[proof.leaf-signature]');
  expect(await statuses(page)).toEqual(['pass', 'pass', 'fail', 'skip', 'skip', 'skip']);
  await saveScreenshot(page, 'verify-tampered-data');
});

test('verify: a tampered inclusion path fails at the inclusion proof (step 6)', async ({ page }) => {
  await fill(page, { data: hexBytes(valid.data), proof: flipLine(valid.proof, 'node_hash='), policy: valid.policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '6');
  await expect(page.locator('#v-verdict')).toContainText('[inclusion.root-mismatch]');
  expect(await statuses(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'fail']);
  await saveScreenshot(page, 'verify-tampered-proof');
});

test('verify: a policy whose witness key changed fails at the quorum (step 5)', async ({ page }) => {
  // W1 now has another key: its cosignature comes from an unknown witness, group A (all W1 W2) fails.
  const w1 = parsePolicy(valid.policy).witnesses.find((w) => w.name === 'W1')!;
  const policy = valid.policy.replace(toHex(w1.publicKey), toHex(SeedSigner.generate().publicKey));
  await fill(page, { data: hexBytes(valid.data), proof: valid.proof, policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '5');
  await expect(page.locator('#v-verdict')).toContainText('[proof.quorum]');
  await expect(page.locator('#v-step-5')).toContainText('unknown witness');
  await expect(page.locator('#v-step-5')).toContainText('does NOT hold');
  expect(await statuses(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'fail', 'skip']);
  await saveScreenshot(page, 'verify-tampered-policy');
});

test('verify: a policy for another log fails at the log (step 4); the skipped cosignature step says they were not checked', async ({ page }) => {
  const logKey = parsePolicy(valid.policy).logs[0]!.publicKey;
  const policy = valid.policy.replace(toHex(logKey), toHex(SeedSigner.generate().publicKey));
  await fill(page, { data: hexBytes(valid.data), proof: valid.proof, policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '4');
  await expect(page.locator('#v-verdict')).toContainText('[proof.unknown-log]');
  expect(await statuses(page)).toEqual(['pass', 'pass', 'pass', 'fail', 'skip', 'skip']);
  await expect(page.locator('#v-step-4')).toContainText('log in policy');
  await expect(page.locator('#v-step-5')).toContainText('not checked (4 in the proof)');
  await expect(page.locator('#v-step-5')).not.toContainText('none');
});

test("verify: another submitter's key fails at the submitter key (step 2)", async ({ page }) => {
  const other = formatOpenSshPublicKey(SeedSigner.generate().publicKey);
  await fill(page, { data: hexBytes(valid.data), proof: valid.proof, policy: valid.policy, key: other });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '2');
  await expect(page.locator('#v-verdict')).toContainText('[proof.unknown-submitter]');
  expect(await statuses(page)).toEqual(['pass', 'fail', 'skip', 'skip', 'skip', 'skip']);
});

test('verify: a tampered log signature fails at step 4', async ({ page }) => {
  await fill(page, { data: hexBytes(valid.data), proof: flipLine(valid.proof, 'signature='), policy: valid.policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-step', '4');
  await expect(page.locator('#v-verdict')).toContainText('[proof.log-signature]');
});

test('verify: files can be dropped onto the fields', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#verify`);
  const drop = async (field: string, name: string, content: string, binary = false): Promise<void> => {
    const dt = await page.evaluateHandle(([n, c, b]) => {
      const t = new DataTransfer();
      const bytes = b ? Uint8Array.from(c.match(/../g)!.map((x) => parseInt(x, 16))) : new TextEncoder().encode(c);
      t.items.add(new File([bytes], n));
      return t;
    }, [name, content, binary] as const);
    await page.dispatchEvent(`.field:has(#${field})`, 'drop', { dataTransfer: dt });
  };
  await drop('v-data', 'data.bin', valid.data, true);
  await drop('v-proof', 'data.bin.proof', valid.proof);
  await drop('v-policy', 'trust.policy', valid.policy);
  await drop('v-key', 'submitter.pub', valid.key_file);
  await expect(page.locator('#v-key-info')).toHaveText(`submitter.pub (${Buffer.byteLength(valid.key_file)} bytes)`);
  await expect(page.locator('#v-data-info')).toHaveText(`data.bin (${hexBytes(valid.data).length} bytes)`);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
});

test('verify: raw-hash mode takes SHA-256(data) instead of the data', async ({ page }) => {
  await page.goto(`${demoUrl()}/index.html#verify`);
  await page.check('#v-raw');
  await page.fill('#v-data', valid.message);
  await page.fill('#v-proof', valid.proof);
  await page.fill('#v-policy', valid.policy);
  await page.fill('#v-key', valid.key_file);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('#v-step-1')).toContainText('the hash SHA-256(data), given directly');
});

/** The SDK's own error text for `f()`, as the page must show it. */
function sdkError(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof SigsumError) return `${e.message} [${e.code}]`; throw e; }
  throw new Error('expected an error');
}

test('verify: malformed inputs are named with the SDK error', async ({ page }) => {
  const data = hexBytes(valid.data);
  const cases: Array<{ what: string; proof?: string | Buffer; policy?: string; key?: string; want: string }> = [
    { what: 'CRLF proof file', proof: Buffer.from(valid.proof.replace(/\n/g, '\r\n')), want: `proof: ${sdkError(() => parseProof(valid.proof.replace(/\n/g, '\r\n')))}` },
    { what: 'truncated proof', proof: valid.proof.slice(0, 40), want: `proof: ${sdkError(() => parseProof(valid.proof.slice(0, 40)))}` },
    { what: 'undefined quorum', policy: 'quorum nobody\n', want: `policy: ${sdkError(() => parsePolicy('quorum nobody\n'))}` },
    { what: 'RSA key', key: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 me\n', want: `public key: ${sdkError(() => parseOpenSshPublicKeys('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 me\n'))}` },
    { what: 'empty proof', proof: '', want: 'proof: empty — paste or drop a .proof file' },
    { what: 'empty policy', policy: '', want: 'policy: empty — paste or drop a policy file' },
    { what: 'empty key', key: '', want: "public key: empty — paste or drop the submitter's .pub file" },
  ];
  for (const c of cases) {
    await fill(page, { data, proof: c.proof ?? valid.proof, policy: c.policy ?? valid.policy, key: c.key ?? valid.key_file });
    await expect(page.locator('#v-verdict'), c.what).toHaveAttribute('data-verdict', 'error');
    await expect(page.locator('#v-verdict'), c.what).toHaveText(`Cannot verify: ${c.want}`);
  }
  // A hash that is not 64 hex digits in raw-hash mode.
  await page.goto(`${demoUrl()}/index.html#verify`);
  await page.check('#v-raw');
  await page.fill('#v-data', 'abc');
  await page.fill('#v-proof', valid.proof);
  await page.click('#v-run');
  await expect(page.locator('#v-verdict')).toHaveText(/^Cannot verify: data hash: hash: /);
  await saveScreenshot(page, 'verify-malformed');
});

test('verify: every step text is true for the proof shown (tree size, path length, input mode)', async ({ page }) => {
  const v = await loadSigsumVectors('proofs');
  const one = v.cases.find((c) => c.name === 's1')!;
  const pathLength = parseProof(valid.proof).inclusion.path.length;
  expect(pathLength).toBeGreaterThan(1);

  await fill(page, { data: hexBytes(valid.data), proof: valid.proof, policy: valid.policy, key: valid.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('#v-step-6 .muted')).toHaveText(`the leaf hash and the audit path (${pathLength} hashes) lead to the signed root hash of the tree of size 100`);
  await expect(page.locator('#v-step-6')).not.toContainText('size 1:');
  await expect(page.locator('#v-step-1 .muted')).toHaveText('message = SHA-256(data); checksum = SHA-256(message)');

  await fill(page, { data: hexBytes(one.data), proof: one.proof, policy: one.policy, key: one.key_file });
  await expect(page.locator('#v-verdict')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('#v-step-6 .muted')).toHaveText('a tree of size 1: the leaf hash itself must equal the signed root hash (the audit path is empty)');
});
