import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics/index.js';

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

/** Feed `input` to `promtool check metrics` on stdin; resolves with exit code and output. */
function checkMetrics(input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new Error('promtool not found on PATH: install the Debian package "prometheus"') : e),
    );
    p.on('close', (code) => resolve({ code, output }));
    p.stdin.end(input);
  });
}

describe('metric exposition', () => {
  it('passes promtool check metrics (naming and HELP/TYPE lint) for every role', async () => {
    for (const role of ['primary', 'secondary', 'witness'] as const) {
      const m = createMetrics(role, { defaultMetrics: false });
      // Put a value in every labelled family so each one is linted.
      m.httpRequests.inc({ endpoint: '/add-leaf', method: 'POST' });
      m.httpResponses.inc({ endpoint: '/add-leaf', method: 'POST', status: '202' });
      m.httpDuration.observe({ endpoint: '/add-leaf', method: 'POST', status: '202' }, 0.01);
      m.storageErrors.inc({ operation: 'getNode' });
      m.observeWitnessRequest('https://w.example', 200, true, 0.3);
      m.observeQuorum(true, 0.4);
      m.rateLimitDecisions.inc({ decision: 'over_limit', rule: 'domain' });
      m.setPublishedTreeHead(3, 1_700_000_000);
      const text = await m.registry.metrics();
      const { code, output } = await checkMetrics(text);
      expect({ role, code, output }).toEqual({ role, code: 0, output: '' });
    }
  });
});
