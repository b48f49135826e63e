// The local Sigsum stack as real processes: a primary reference log on SQLite,
// its hot-standby secondary, and reference witnesses, all on 127.0.0.1, data kept in one directory so a
// second start reuses it. Used by `npm start` (scripts/start-stack.mjs) and by
// the web demo's end-to-end browser test. Only the built CLIs are run
// (`reference-log/dist/cli/main.js`, `sdk/dist/cli/main.js`; `tsc -b` builds them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The `sigsum-log` CLI (reference log and witness). */
export const logCli = join(root, 'reference-log', 'dist', 'cli', 'main.js');
/** The `sigsum` CLI. */
export const sigsumCli = join(root, 'sdk', 'dist', 'cli', 'main.js');

/** A free TCP port on 127.0.0.1 (see scripts/ports.mjs for why not port 0). */
import { freePort } from '../../scripts/ports.mjs';

export { freePort };

function run(cmd, args) {
  const r = spawnSync(process.execPath, [cmd, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Raw hex of an OpenSSH public key file, via `sigsum key to-hex`. */
function keyHex(pubFile) {
  return run(sigsumCli, ['key', 'to-hex', '-k', pubFile]).trim();
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait until `check()` resolves true, or fail after `ms` naming `what` (with the process output). */
async function waitFor(what, check, ms, proc) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with code ${proc.exitCode}; see ${proc.logFile}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${ms} ms; see ${proc.logFile}`);
}

function startProcess(name, args, logFile) {
  const out = createWriteStream(logFile, { flags: 'a' });
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.pipe(out);
  p.stderr.pipe(out);
  p.logFile = logFile;
  p.stackName = name;
  return p;
}

/** Read a JSON config, apply `changes`, write it back. */
function editConfig(path, changes) {
  const config = JSON.parse(readFileSync(path, 'utf8'));
  Object.assign(config, changes);
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
}

/**
 * Start (or restart on the same data) a primary log, its secondary (unless
 * `secondary` is false) and `witnesses` witnesses. `ports`: fixed ports
 * (`npm start`), or omitted for free ports (tests). Resolves with the URLs,
 * the user policy (log + witnesses + quorum) and stop().
 */
export async function startLocalStack({ dir, witnesses = 2, secondary = true, ports = {}, intervalMs = 500, onLine } = {}) {
  if (!existsSync(logCli) || !existsSync(sigsumCli)) throw new Error(`the CLIs are not built (${logCli}, ${sigsumCli}): run \`npx tsc -b\` first`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logDir = join(dir, 'log');
  if (!existsSync(join(logDir, 'config.json'))) run(logCli, ['init', '--dir', logDir]);
  const logKeyHex = keyHex(join(logDir, 'log.key.pub'));
  const secondaryDir = join(dir, 'secondary');
  if (secondary && !existsSync(join(secondaryDir, 'config.json'))) run(logCli, ['init', '--dir', secondaryDir, '--secondary-of', logKeyHex]);

  const procs = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(procs.map((p) => new Promise((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => { if (p.exitCode === null) p.kill('SIGKILL'); }, 5000).unref();
    })));
  };

  try {
    // Witnesses first: the log's cosigning policy needs their URLs.
    const ws = [];
    for (let i = 1; i <= witnesses; i++) {
      const wdir = join(dir, `witness-${i}`);
      mkdirSync(wdir, { recursive: true, mode: 0o700 });
      const key = join(wdir, 'witness.key');
      if (!existsSync(key)) run(sigsumCli, ['key', 'generate', '-o', key]);
      const port = ports.witnesses?.[i - 1] ?? (await freePort());
      const p = startProcess(`witness W${i}`, [logCli, 'witness', '-k', key, '--state-db', join(wdir, 'state.sqlite'), '--log-key', logKeyHex, '--listen', `127.0.0.1:${port}`], join(wdir, 'witness.out'));
      procs.push(p);
      ws.push({ name: `W${i}`, keyHex: keyHex(`${key}.pub`), url: `http://127.0.0.1:${port}/`, proc: p });
    }
    for (const w of ws) {
      await waitFor(`witness ${w.name}`, async () => readFileSync(w.proc.logFile, 'utf8').includes('witness listening on'), 15_000, w.proc);
    }

    const logPort = ports.log ?? (await freePort());
    const logUrl = `http://127.0.0.1:${logPort}/`;
    const quorum = witnesses === 0 ? 'quorum none\n' : `group witnesses all ${ws.map((w) => w.name).join(' ')}\nquorum witnesses\n`;
    const witnessLines = ws.map((w) => `witness ${w.name} ${w.keyHex} ${w.url}\n`).join('');
    const policy = `log ${logKeyHex} ${logUrl}\n${witnessLines}${quorum}`;
    writeFileSync(join(dir, 'policy'), policy);
    writeFileSync(join(logDir, 'cosign.policy'), policy);
    const configPath = join(logDir, 'config.json');
    // The primary's internal listener serves the secondary's replication pulls.
    const internalPort = ports.logInternal ?? (await freePort());
    const secondaryPort = ports.secondary ?? (await freePort());
    const secondaryUrl = `http://127.0.0.1:${secondaryPort}/`;
    editConfig(configPath, {
      listen: `127.0.0.1:${logPort}`,
      internalListen: `127.0.0.1:${internalPort}`,
      policyFile: 'cosign.policy',
      // The web demo is served from another origin and talks to the log directly.
      corsOrigins: ['*'],
      intervalMs,
      // A local stack publishes far more often than a production log promises witnesses.
      witnessRequestsPerDay: Math.ceil(86_400_000 / intervalMs),
      logLevel: 'warn',
      ...(secondary ? { secondaryUrl, secondaryPublicKey: keyHex(join(secondaryDir, 'log.key.pub')) } : { secondaryUrl: '', secondaryPublicKey: '' }),
    });
    const log = startProcess('log', [logCli, 'primary', '--config', configPath], join(logDir, 'log.out'));
    procs.push(log);
    if (secondary) {
      const secondaryConfig = join(secondaryDir, 'config.json');
      editConfig(secondaryConfig, { internalListen: `127.0.0.1:${secondaryPort}`, primaryUrl: `http://127.0.0.1:${internalPort}/`, logLevel: 'warn' });
      const sec = startProcess('secondary', [logCli, 'secondary', '--config', secondaryConfig], join(secondaryDir, 'secondary.out'));
      procs.push(sec);
      // Up when its internal listener answers at all.
      await waitFor('the secondary', async () => (await fetch(secondaryUrl)).status > 0, 20_000, sec);
    }
    await waitFor('the log', async () => (await fetch(`${logUrl}get-tree-head`)).status === 200, 20_000, log);
    for (const p of procs) {
      // An exit we did not ask for is worth a line.
      p.once('exit', (code, sig) => { if (!stopping) onLine?.(`${p.stackName} exited (${sig ?? code}); see ${p.logFile}`); });
    }
    return { logUrl, logKeyHex, secondaryUrl: secondary ? secondaryUrl : undefined, policy, policyFile: join(dir, 'policy'), witnesses: ws.map(({ name, keyHex: k, url }) => ({ name, keyHex: k, url })), processes: procs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
