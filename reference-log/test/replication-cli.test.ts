/**
 * The hot-standby commands of the real `sigsum-log` binary: `init
 * --secondary-of`, `secondary` refusals, `promote` (refusals and success,
 * then running the promoted node as primary) and `primary
 * --published-tree-head` refusing to run beside a newer head.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { emptyRoot, hashLeaf, keyHash, parseOpenSshPublicKey, rootFromLeafHashes, serializeCosignedTreeHead, signTreeHead, toHex, utf8 } from '@sigsum-kit/sdk';
import { loadSigner } from '@sigsum-kit/sdk/node';
import { tempDir } from './log-helpers.js';
import { field, getText, initNode, patchConfig, runCli, runCliAsync, startNode } from './replication-helpers.js';

describe('sigsum-log secondary / promote / primary --published-tree-head', () => {
  const tmp = tempDir('sigsum-replication-cli-');
  afterAll(() => tmp.cleanup());

  it('runs the failover commands and refuses every unsafe step with a clear message', async () => {
    const pdir = join(tmp.dir, 'p');
    const pconfig = initNode(pdir, { listen: '127.0.0.1:0', internalListen: '127.0.0.1:0' });
    const logPub = join(pdir, 'log.key.pub');
    const logSigner = await loadSigner(join(pdir, 'log.key'));
    const headFile = async (name: string, size: number, rootHash: Uint8Array, signer = logSigner): Promise<string> => {
      const path = join(tmp.dir, name);
      writeFileSync(path, serializeCosignedTreeHead({ ...(await signTreeHead(signer, { size: BigInt(size), rootHash })), cosignatures: [] }));
      return path;
    };

    // A node initialised without --secondary-of belongs to its own key: not a secondary.
    const notSecondary = initNode(join(tmp.dir, 'n'), { primaryUrl: 'http://127.0.0.1:1/', internalListen: '127.0.0.1:0' });
    let r = runCli(['secondary', '-c', notSecondary]);
    expect([r.status, r.stderr]).toEqual([1, "sigsum-log: this database belongs to the secondary's own key; initialise a secondary with `sigsum-log init --secondary-of <log public key>`\n"]);

    const sdir = join(tmp.dir, 's');
    const sconfig = initNode(sdir, { listen: '127.0.0.1:0', internalListen: '127.0.0.1:0' }, logPub);
    r = runCli(['secondary', '-c', sconfig]);
    expect([r.status, r.stderr]).toEqual([1, 'sigsum-log: primaryUrl: required for a secondary\n']);
    r = runCli(['status', '-c', sconfig]);
    // The secondary's database belongs to the log's key, not to the secondary's own.
    expect(field(r.stdout, 'log_key_hash')).toBe(toHex(keyHash(parseOpenSshPublicKey(readFileSync(logPub, 'utf8').trim()).publicKey)));

    // promote: refused when the tree lacks the published head, or the head is not the log's.
    const head3 = await headFile('head3.txt', 3, rootFromLeafHashes([0, 1, 2].map((i) => hashLeaf(utf8(`x${i}`)))));
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', head3]);
    expect([r.status, r.stderr]).toEqual([1, 'sigsum-log: local tree has 0 leaves but a tree head of size 3 was published\n']);
    const forged = await headFile('forged.txt', 0, emptyRoot(), await loadSigner(join(sdir, 'log.key')));
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', forged]);
    expect([r.status, r.stderr]).toEqual([1, 'sigsum-log: the given tree head of size 0 is not signed by the log key\n']);
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', join(tmp.dir, 'missing.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: .*missing\.txt/);
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', 'http://127.0.0.1:1/']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sigsum-log: .*127\.0\.0\.1:1/);
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', head3, '--write-config', pconfig]);
    expect([r.status, r.stderr]).toEqual([1, `sigsum-log: ${pconfig} already exists; refusing to overwrite (choose another --write-config)\n`]);

    // promote: refused while something still answers on the secondary's internal address.
    const head0 = await headFile('head0.txt', 0, emptyRoot());
    const busy = createServer((_req, res) => res.end('status=ok\n'));
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const busyPort = (busy.address() as AddressInfo).port;
    patchConfig(sconfig, { internalListen: `127.0.0.1:${busyPort}` });
    r = await runCliAsync(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', head0]);
    await new Promise((res) => busy.close(res));
    patchConfig(sconfig, { internalListen: '127.0.0.1:0' });
    expect([r.status, r.stderr]).toEqual([1, `sigsum-log: something still answers on 127.0.0.1:${busyPort} (the secondary?); stop it before promoting\n`]);

    // promote: accepted for the head it contains; the new config runs as the log's primary.
    r = runCli(['promote', '-c', sconfig, '--log-key', join(pdir, 'log.key'), '--tree-head', head0]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('promoted: tree_size=0 published_size=0 startup_mode=local-tree\n');
    const promotedConfig = join(sdir, 'primary.json');
    expect(existsSync(promotedConfig)).toBe(true);
    // It carries the replication token: owner-only.
    expect(statSync(promotedConfig).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(readFileSync(promotedConfig, 'utf8')) as Record<string, unknown>;
    expect([cfg.keyFile, cfg.primaryUrl]).toEqual([join(pdir, 'log.key'), undefined]);
    // The new primary's published-tree-head file holds the head promotion checked, and primary.json names it.
    expect(cfg.publishedTreeHeadFile).toBe(join(sdir, 'published-tree-head'));
    expect(readFileSync(join(sdir, 'published-tree-head'), 'utf8')).toBe(readFileSync(head0, 'utf8'));
    expect(field(runCli(['status', '-c', promotedConfig]).stdout, 'startup_mode')).toBe('local-tree');
    // A database with published heads is a primary's: it can never be used as a secondary again.
    r = runCli(['secondary', '-c', sconfig, '--primary-url', 'http://127.0.0.1:1/']);
    expect([r.status, r.stderr]).toEqual([
      1,
      'sigsum-log: this database holds published tree heads (up to size 0): it belongs to a (former) primary; a secondary needs a fresh database (`sigsum-log init --secondary-of <log public key>`)\n',
    ]);
    const promoted = await startNode(['primary', '-c', promotedConfig], 'log started');
    try {
      expect(promoted.lines().find((l) => l.msg === 'start-up state checked')).toMatchObject({ mode: 'local-tree', treeSize: 0, publishedSize: 0 });
      const url = String(promoted.lines().find((l) => l.msg === 'log started')?.url);
      expect(field((await getText(url + 'get-tree-head')).text, 'size')).toBe('0');
      // The old primary refuses to start beside the promoted log's newer head (here: a head it never published).
      r = runCli(['primary', '-c', pconfig, '--published-tree-head', head3]);
      expect([r.status, r.stderr]).toEqual([
        1,
        'sigsum-log: a tree head of size 3 was published, but this node only ever published size 0: another primary has taken over; do not run this node as primary (wipe it and set it up as a new secondary)\n',
      ]);
      // The same check from the config file, so a service unit cannot forget the flag.
      patchConfig(pconfig, { publishedTreeHeadSources: [head3] });
      r = runCli(['primary', '-c', pconfig]);
      expect([r.status, r.stderr]).toEqual([
        1,
        'sigsum-log: a tree head of size 3 was published, but this node only ever published size 0: another primary has taken over; do not run this node as primary (wipe it and set it up as a new secondary)\n',
      ]);
      patchConfig(pconfig, { publishedTreeHeadSources: [] });
      r = runCli(['primary', '-c', pconfig, '--published-tree-head', 'http://127.0.0.1:1/']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^sigsum-log: cannot read the published tree head from http:\/\/127\.0\.0\.1:1\/ \(.+\); refusing to start as primary\n$/);
    } finally {
      await promoted.stop();
    }
  }, 60_000);
});
