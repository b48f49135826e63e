#!/usr/bin/env node
// The test command: typecheck + lint + API docs + vitest (unit, vector suite, integration with
// real processes) + Playwright (web demo in Debian's Chromium). Prints one
// summary line `N passed, N failed` counted over every runner; a skipped test
// counts as failed because CI must run every test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.test-output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

let passed = 0;
let failed = 0;
const lines = [];

function run(name, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  return { code: r.status ?? 1, secs };
}

function step(name, cmd, args) {
  const r = run(name, cmd, args);
  if (r.code === 0) passed++;
  else failed++;
  lines.push(`${name}: ${r.code === 0 ? 'ok' : 'FAILED'} (${r.secs}s)`);
  return r.code === 0;
}

const built = step('typecheck+build', 'npm', ['run', '--silent', 'build']);
step('lint', 'npx', ['eslint', '.']);
// API reference (TypeDoc): an exported symbol without documentation fails the step.
step('api docs', 'npm', ['run', '--silent', 'docs']);

if (built) {
  const vitestJson = join(out, 'vitest.json');
  const v = run('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
  if (existsSync(vitestJson)) {
    const j = JSON.parse(readFileSync(vitestJson, 'utf8'));
    const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    passed += j.numPassedTests;
    failed += j.numFailedTests + skipped;
    // Suites that failed to load count as failures even with no test inside.
    const brokenFiles = (j.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    failed += brokenFiles;
    lines.push(`vitest: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped, ${brokenFiles} files failed to load (${v.secs}s)`);
  } else {
    failed++;
    lines.push(`vitest: no report (exit ${v.code})`);
  }

  const pwConfig = join(root, 'web-demo', 'playwright.config.ts');
  if (existsSync(pwConfig)) {
    const pwJson = join(out, 'playwright.json');
    const p = run('playwright', 'npx', ['playwright', 'test', '-c', pwConfig, '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
    if (existsSync(pwJson)) {
      const s = JSON.parse(readFileSync(pwJson, 'utf8')).stats ?? {};
      passed += s.expected ?? 0;
      failed += (s.unexpected ?? 0) + (s.flaky ?? 0) + (s.skipped ?? 0);
      lines.push(`playwright: ${s.expected ?? 0} passed, ${s.unexpected ?? 0} failed, ${s.flaky ?? 0} flaky, ${s.skipped ?? 0} skipped (${p.secs}s)`);
      if ((s.expected ?? 0) === 0 && p.code !== 0) failed++;
    } else {
      failed++;
      lines.push(`playwright: no report (exit ${p.code})`);
    }
  }
}

console.log('\n=== summary');
for (const l of lines) console.log(l);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
