#!/usr/bin/env node
// `npm start`: the local Sigsum stack in one command. Starts, on SQLite in
// .stack/ (reused by the next start), a primary reference log, its hot-standby
// secondary, two reference witnesses and the web demo; prints the URLs and the
// policy; stops cleanly on Ctrl-C.
//
// Ports (override with env): SIGSUM_LOG_PORT 6965, SIGSUM_WITNESS_PORTS 5001,5002,
// SIGSUM_DEMO_PORT 5173. Data directory: SIGSUM_STACK_DIR (default .stack).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logCli, sigsumCli, startLocalStack } from '../web-demo/stack/local-stack.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = resolve(root, process.env.SIGSUM_STACK_DIR ?? '.stack');
const logPort = Number(process.env.SIGSUM_LOG_PORT ?? 6965);
const witnessPorts = (process.env.SIGSUM_WITNESS_PORTS ?? '5001,5002').split(',').map(Number);
const demoPort = Number(process.env.SIGSUM_DEMO_PORT ?? 5173);

/** Fail early with a clear message when a port is taken. */
async function checkPort(port, what) {
  await new Promise((ok, fail) => {
    const s = netServer();
    s.once('error', () => fail(new Error(`port ${port} (${what}) is in use on 127.0.0.1; stop what uses it or set the port variable (see scripts/start-stack.mjs)`)));
    s.listen(port, '127.0.0.1', () => s.close(ok));
  });
}

/** `npm ci` builds (the root `prepare` script); build here too after `npm ci --ignore-scripts` or a `git clean`. */
function buildIfNeeded() {
  if (existsSync(logCli) && existsSync(sigsumCli)) return;
  console.error('npm start: building the packages (tsc -b)…');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the build failed (exit ${r.status}); fix it, then run npm start again`);
}

async function main() {
  buildIfNeeded();
  await checkPort(logPort, 'log');
  for (const [i, p] of witnessPorts.entries()) await checkPort(p, `witness W${i + 1}`);
  await checkPort(demoPort, 'web demo');
  const stack = await startLocalStack({
    dir,
    witnesses: witnessPorts.length,
    ports: { log: logPort, witnesses: witnessPorts },
    onLine: (l) => console.error(l),
  });
  // The demo gets the log URL and policy baked in (see web-demo/src/stack-defaults.ts).
  process.env.SIGSUM_STACK_JSON = JSON.stringify({ logUrl: stack.logUrl, policy: stack.policy });
  const { createServer } = await import('vite');
  const vite = await createServer({ configFile: join(root, 'web-demo', 'vite.config.ts'), server: { port: demoPort, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
  await vite.listen();
  const demoUrl = `http://127.0.0.1:${demoPort}/`;
  console.log(`
sigsum-kit local stack (data in ${dir})
  web demo:  ${demoUrl}
  log:       ${stack.logUrl}
  secondary: ${stack.secondaryUrl ?? '(none)'} (internal)
${stack.witnesses.map((w) => `  witness ${w.name}: ${w.url}`).join('\n')}
  policy:    ${stack.policyFile}

${stack.policy.replace(/^/gm, '    ').trimEnd()}

Submit from the command line:
  npx sigsum submit -k KEY -p ${stack.policyFile} FILE
Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the web demo, the log, its secondary and the witnesses…`);
    await vite.close();
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(`npm start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
