// The README's SDK examples are real files (examples/*.mjs) shown verbatim in
// the README; this test runs them against real data so they cannot rot.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'readme-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeCase(c: { data: string; proof: string; policy: string; key_file: string }, tamper = false) {
  const data = Buffer.from(c.data, 'hex');
  if (tamper) data[0] = data[0]! ^ 1;
  await writeFile(join(dir, 'data'), data);
  await writeFile(join(dir, 'proof'), c.proof);
  await writeFile(join(dir, 'policy'), c.policy);
  await writeFile(join(dir, 'key.pub'), c.key_file);
  return ['data', 'proof', 'policy', 'key.pub'].map((f) => join(dir, f));
}

describe('README examples', () => {
  it('README shows examples/verify.mjs and examples/submit.mjs verbatim', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    for (const f of ['verify.mjs', 'submit.mjs']) {
      const src = await readFile(join(root, 'examples', f), 'utf8');
      expect(readme).toContain(src.trim());
    }
  });

  it('examples/verify.mjs accepts a valid proof and names the failed step of a tampered one', async () => {
    const vectors = await loadSigsumVectors('proofs');
    const valid = vectors.cases.find((c) => c.expect === 'valid' && c.version === 2)!;
    const args = await writeCase(valid);
    const ok = await run('node', [join(root, 'examples', 'verify.mjs'), ...args]);
    expect(ok.stdout).toMatch(/^valid: leaf \d+ in a tree of size \d+/);

    const bad = await writeCase(valid, true);
    const err = await run('node', [join(root, 'examples', 'verify.mjs'), ...bad]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/^invalid: step 3 \(leaf-signature\) failed: /);
  });
});

describe('README submit example', () => {
  it('examples/submit.mjs submits to a real log and the proof verifies with examples/verify.mjs', async () => {
    // A real sigsum-log process (built dist/) with policy `quorum none`.
    const { initLog, startLogProcess } = await import('../../reference-log/test/log-helpers.js');
    const logDir = join(dir, 'log');
    const configPath = initLog(logDir, { intervalMs: 200 });
    const log = await startLogProcess(configPath);
    try {
      const logPub = (await readFile(join(logDir, 'log.key.pub'), 'utf8')).split(' ')[1]!;
      const logKeyHex = Buffer.from(logPub, 'base64').subarray(-32).toString('hex');
      await writeFile(join(dir, 'local.policy'), `log ${logKeyHex} ${log.url}\nquorum none\n`);
      await run(process.execPath, [join(root, 'sdk', 'dist', 'cli', 'main.js'), 'key', 'generate', '-o', join(dir, 'submitter.key')]);
      await writeFile(join(dir, 'hello.txt'), 'hello, sigsum\n');
      const sub = await run(process.execPath, [join(root, 'examples', 'submit.mjs'), join(dir, 'submitter.key'), join(dir, 'local.policy'), join(dir, 'hello.txt')]);
      expect(sub.stdout).toMatch(/^wrote .*hello\.txt\.proof \(leaf 0 of tree size 1\)/);
      const ver = await run(process.execPath, [
        join(root, 'examples', 'verify.mjs'),
        join(dir, 'hello.txt'),
        join(dir, 'hello.txt.proof'),
        join(dir, 'local.policy'),
        join(dir, 'submitter.key.pub'),
      ]);
      expect(ver.stdout).toMatch(/^valid: leaf 0 in a tree of size 1/);
    } finally {
      await log.stop('SIGTERM');
    }
  }, 60_000);
});
