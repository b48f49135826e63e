import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const docs = fileURLToPath(new URL('../../docs/', import.meta.url));

/** Run promtool; a missing promtool (Debian package `prometheus`) fails the test instead of skipping it. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: docs, timeout: 60_000 });
    return stdout + stderr;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('promtool not found on PATH: install the Debian package "prometheus"');
    throw new Error(`promtool ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

describe('docs/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const out = await promtool('check', 'rules', 'alerts.yml');
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes its promtool unit tests (docs/alerts.test.yml)', async () => {
    const out = await promtool('test', 'rules', 'alerts.test.yml');
    expect(out).toContain('SUCCESS');
    expect(out).not.toContain('FAILED');
  });
});
