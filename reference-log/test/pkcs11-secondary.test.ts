/**
 * PKCS#11 keys on a hot-standby pair, and a token that hangs (real
 * processes, a real SoftHSM 2 token in a temp directory):
 *
 * - the primary's log key and the secondary's own key live in the token; the
 *   secondary's heads (signed in the token, verified, counted in its signer
 *   metrics) let the primary publish;
 * - the secondary is promoted with the token's log key and publishes heads
 *   the SDK verifies;
 * - the promoted primary reaches the token through OpenSC's pkcs11-spy,
 *   whose call log goes into a FIFO drained by a helper process. Stopping
 *   that helper (SIGSTOP) fills the pipe, and the next call into the module
 *   blocks for real: no head is published, the signer is reported down
 *   after `signTimeoutMs`, reads keep being served; SIGCONT unblocks the
 *   token and publication resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash, parseCosignedTreeHeadBody, parseOpenSshPublicKey, parsePolicy, serializeCosignedTreeHead, toHex, verifyCosignedTreeHead, type CosignedTreeHead } from '@sigsum-kit/sdk';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../../sdk/test/softhsm.js';
import { makeSubmissions } from './log-helpers.js';
import { field, freePort, getText, patchConfig, runCliAsync, scratchSpace, startNode, waitFor, type NodeProcess } from './replication-helpers.js';

const SPY_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so';
const { tmp, running } = scratchSpace('sigsum-pkcs11-secondary-');
let hsm: SoftHsm;
let drain: ChildProcess | undefined;
let logKey: Uint8Array;

beforeAll(() => {
  hsm = createSoftHsm('softhsm-secondary-');
  // Every process started here uses this token; the spy (when named as the module) forwards to SoftHSM.
  process.env.SOFTHSM2_CONF = hsm.env.SOFTHSM2_CONF;
  const fifo = join(hsm.dir, 'spy.fifo');
  execFileSync('mkfifo', [fifo]);
  process.env.PKCS11SPY = SOFTHSM_MODULE;
  process.env.PKCS11SPY_OUTPUT = fifo;
  // Opened read-write so it never sees end-of-file between writers; a 4 KiB pipe fills within a few calls once stopped.
  drain = spawn('perl', ['-e', 'open(my $f, "+<", $ARGV[0]) or die "$!"; fcntl($f, 1031, 4096) or die "F_SETPIPE_SZ: $!"; while (sysread($f, my $b, 65536)) {}', fifo], { stdio: 'ignore' });
  hsm.initToken('log');
  hsm.keygen('log', 'log-key', '01');
  hsm.keygen('log', 'secondary-key', '02');
  logKey = hsm.publicKey('log', 'log-key');
});

afterAll(() => {
  if (drain?.pid !== undefined) {
    drain.kill('SIGCONT');
    drain.kill('SIGKILL');
  }
  hsm?.cleanup();
});

async function init(dir: string, uri: string, overrides: Record<string, unknown>, secondaryOf?: string): Promise<string> {
  const r = await runCliAsync(['init', '--dir', dir, '--pkcs11', uri, ...(secondaryOf === undefined ? [] : ['--secondary-of', secondaryOf])]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const config = join(dir, 'config.json');
  patchConfig(config, { logLevel: 'info', intervalMs: 200, witnessRequestsPerDay: 864_000, ...overrides });
  return config;
}

async function treeHead(url: string): Promise<CosignedTreeHead> {
  const r = await getText(url + 'get-tree-head');
  expect(r.status).toBe(200);
  return parseCosignedTreeHeadBody(r.text);
}

async function metric(internalUrl: string, name: string): Promise<number> {
  const line = (await getText(internalUrl + 'metrics')).text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function submit(url: string, n: number, label: string): Promise<void> {
  for (const s of await makeSubmissions(n, label)) expect([200, 202]).toContain((await fetch(url + 'add-leaf', { method: 'POST', body: s.body })).status);
}

const policy = (): ReturnType<typeof parsePolicy> => parsePolicy(`log ${toHex(logKey)}\nquorum none\n`);

describe('PKCS#11 keys on a primary/secondary pair', () => {
  it('a secondary signing in the token gates the primary, is promoted with the token log key, and its heads verify; a hung token stops publication without stopping reads', async () => {
    const [pub, internal, sport, newPub, newInternal] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const url = `http://127.0.0.1:${pub}/`;
    const sdir = join(tmp.dir, 'secondary');
    const pconfig = await init(join(tmp.dir, 'primary'), hsm.uri('log', 'log-key'), {
      listen: `127.0.0.1:${pub}`,
      internalListen: `127.0.0.1:${internal}`,
      secondaryUrl: `http://127.0.0.1:${sport}/`,
      secondaryPublicKey: join(sdir, 'log.key.pub'),
    });
    const sconfig = await init(sdir, hsm.uri('log', 'secondary-key'), { internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationIntervalMs: 50 }, join(tmp.dir, 'primary', 'log.key.pub'));
    expect(parseOpenSshPublicKey(readFileSync(join(tmp.dir, 'primary', 'log.key.pub'), 'utf8').trim()).publicKey).toEqual(logKey);

    const secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
    running.push(secondary);
    let primary: NodeProcess = await startNode(['primary', '-c', pconfig], 'log started');
    running.push(primary);
    await submit(url, 3, 'pair');
    // Published only once the secondary's head, signed in the token, covers the leaves.
    expect(await waitFor(async () => (await treeHead(url)).size >= 3n)).toBe(true);
    const published = await treeHead(url);
    expect((await verifyCosignedTreeHead(policy(), keyHash(logKey), published)).ok).toBe(true);
    expect(await metric(`http://127.0.0.1:${sport}/`, 'sigsum_log_signer_up')).toBe(1);
    expect(await metric(`http://127.0.0.1:${sport}/`, 'sigsum_log_signer_errors_total')).toBe(0);

    // Failover: stop both, promote the secondary with the log key in the token (reached through the spy).
    await primary.stop();
    expect((await secondary.stop()).code).toBe(0);
    const headFile = join(tmp.dir, 'head.txt');
    writeFileSync(headFile, serializeCosignedTreeHead(published));
    const newConfig = join(sdir, 'primary.json');
    const spyUri = hsm.uri('log', 'log-key').replace(SOFTHSM_MODULE, SPY_MODULE);
    const promoted = await runCliAsync(['promote', '-c', sconfig, '--log-key', spyUri, '--tree-head', headFile, '--write-config', newConfig]);
    expect(promoted.stderr).toBe('');
    expect(promoted.status).toBe(0);
    expect(promoted.stdout).toContain(`log key hash: ${toHex(keyHash(logKey))}`);
    patchConfig(newConfig, { listen: `127.0.0.1:${newPub}`, internalListen: `127.0.0.1:${newInternal}`, signTimeoutMs: 1000 });
    primary = await startNode(['primary', '-c', newConfig], 'log started');
    running.push(primary);
    const newUrl = `http://127.0.0.1:${newPub}/`;
    const newInternalUrl = `http://127.0.0.1:${newInternal}/`;
    await submit(newUrl, 2, 'promoted');
    expect(await waitFor(async () => (await treeHead(newUrl)).size >= published.size + 2n)).toBe(true);
    const before = await treeHead(newUrl);
    expect((await verifyCosignedTreeHead(policy(), keyHash(logKey), before)).ok).toBe(true);
    expect(await metric(newInternalUrl, 'sigsum_log_signer_up')).toBe(1);

    // The token hangs: the spy blocks writing its call log once the stopped drain's pipe is full.
    drain!.kill('SIGSTOP');
    let resumed = false;
    try {
      await submit(newUrl, 2, 'hung');
      expect(await waitFor(async () => (await metric(newInternalUrl, 'sigsum_log_signer_up')) === 0, 20_000)).toBe(true);
      expect(primary.output()).toMatch(/the token did not answer a signing request within 1000 ms \(signTimeoutMs\)/);
      // Reads are served at once from the last published head, which no longer moves; add-leaf still accepts.
      const frozen = await treeHead(newUrl);
      await submit(newUrl, 1, 'during-hang');
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 300));
        const t0 = Date.now();
        const during = await treeHead(newUrl);
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(toHex(during.rootHash)).toBe(toHex(frozen.rootHash));
        expect(during.size).toBe(frozen.size);
      }
      const tree = Number(field((await getText(newInternalUrl + 'health')).text, 'tree_size'));
      expect(tree).toBe(Number(before.size) + 3);
      expect(await metric(newInternalUrl, 'sigsum_log_signer_errors_total')).toBeGreaterThanOrEqual(1);
      expect(primary.exited()).toBe(false);
      drain!.kill('SIGCONT');
      resumed = true;
      expect(await waitFor(async () => (await treeHead(newUrl)).size >= before.size + 3n, 20_000)).toBe(true);
      const after = await treeHead(newUrl);
      expect((await verifyCosignedTreeHead(policy(), keyHash(logKey), after)).ok).toBe(true);
      expect(await waitFor(async () => (await metric(newInternalUrl, 'sigsum_log_signer_up')) === 1)).toBe(true);
    } finally {
      if (!resumed) drain!.kill('SIGCONT');
    }
    expect(primary.output()).not.toContain(hsm.pin);
    expect(secondary.output()).not.toContain(hsm.pin);
  }, 90_000);
});
