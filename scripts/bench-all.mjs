#!/usr/bin/env node
// `npm run bench`: builds, then runs every benchmark in bench/ one after the
// other (never in parallel: they share two cores). Each benchmark prints its
// figures and the ratio to a baseline measured in the same run.
// Usage: npm run bench [-- name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2] ?? '';
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const benches = readdirSync(join(root, 'bench'))
  .filter((f) => /\.(bench\.ts|size\.ts)$/.test(f) || f === 'bundle-size.ts')
  .filter((f) => f.includes(filter))
  .sort();
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
let failed = 0;
for (const f of benches) {
  console.log(`\n##### ${f}`);
  const r = spawnSync('npx', ['tsx', join('bench', f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
