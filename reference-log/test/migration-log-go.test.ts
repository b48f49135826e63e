/**
 * Migrating from log-go without a split view, with real processes on
 * 127.0.0.1: our primary stands in for log-go (`internalApi: "log-go"`:
 * only `get-leaves` internally, 404 at the end of the tree), two reference
 * witnesses cosign, and a sigsum-kit secondary follows it with
 * `primaryApi: "log-go"`, bounded by the public signed tree head. Under
 * concurrent submissions the secondary never signs beyond a head the
 * primary published; then writes are drained, the primary is stopped, the
 * secondary promoted and started as the primary at the same public URL, and
 * submissions continue with the witnesses cosigning. Every leaf that got a
 * 200 is in the final tree, and every head ever served (by the old primary,
 * the secondary, the new primary) is consistent with the final one.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LogClient,
  keyHash,
  parseCosignedTreeHeadBody,
  parseOpenSshPublicKey,
  parsePolicy,
  parseSignedTreeHeadBody,
  toHex,
  verifyCosignedTreeHead,
  verifyInclusion,
  verifyTreeHeadSignature,
  type TreeHead,
} from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { pool } from './log-helpers.js';
import { LeafFactory, SubmitLoad, expectConsistentWithFinal, field, freePort, getText, initNode, patchConfig, runCli, scratchSpace, startNode, startWitnessNode, waitFor } from './replication-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('migrating from a log-go primary', () => {
  const { tmp, running } = scratchSpace('sigsum-migrate-');

  it('replicates under load from get-leaves and the public head, promotes, and keeps one history', async () => {
    const t0 = Date.now();
    const phase = (name: string): void => console.log(`migration phase ${name}: ${Date.now() - t0} ms`);
    const pdir = join(tmp.dir, 'primary');
    const pub = await freePort();
    const internal = await freePort();
    const sport = await freePort();
    const primaryConfig = initNode(pdir, {});
    const logKeyPath = join(pdir, 'log.key');
    const logKey = parseOpenSshPublicKey(readFileSync(join(pdir, 'log.key.pub'), 'utf8').trim()).publicKey;
    const logKeyHex = toHex(logKey);

    const wdir = join(tmp.dir, 'witnesses');
    mkdirSync(wdir);
    const wa = await startWitnessNode(wdir, 'A', logKeyHex);
    const wb = await startWitnessNode(wdir, 'B', logKeyHex);
    running.push(wa.node, wb.node);
    const policyLines = [`log ${logKeyHex}`, `witness A ${toHex(wa.publicKey)} ${wa.url}`, `witness B ${toHex(wb.publicKey)} ${wb.url}`, 'group both all A B', 'quorum both', ''];
    const policyPath = join(tmp.dir, 'policy');
    writeFileSync(policyPath, policyLines.join('\n'));
    const logSettings = { intervalMs: 200, integrateIntervalMs: 5, witnessTimeoutMs: 1500, policyFile: policyPath };
    const publicUrl = `http://127.0.0.1:${pub}/`;

    // "log-go": no secondary of its own here; it publishes whatever it integrated.
    patchConfig(primaryConfig, { ...logSettings, listen: `127.0.0.1:${pub}`, internalListen: `127.0.0.1:${internal}`, internalApi: 'log-go' });
    const primary = await startNode(['primary', '-c', primaryConfig], 'log started');
    running.push(primary);
    expect(await getText(`http://127.0.0.1:${internal}/get-tree-head-unsigned`)).toEqual({ status: 404, text: 'unknown endpoint\n' });

    const sdir = join(tmp.dir, 'secondary');
    const sconfig = initNode(
      sdir,
      { internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, primaryApi: 'log-go', primaryPublicUrl: publicUrl, replicationIntervalMs: 50 },
      join(pdir, 'log.key.pub'),
    );
    const secondary = await startNode(['secondary', '-c', sconfig], 'secondary started');
    running.push(secondary);
    const secondaryKey = parseOpenSshPublicKey(readFileSync(join(sdir, 'log.key.pub'), 'utf8').trim()).publicKey;
    const secondaryUrl = `http://127.0.0.1:${sport}/`;

    // A follower configured with another log key: it stores and signs nothing.
    const other = await generateKeyFiles(join(tmp.dir, 'other-log.key'));
    const odir = join(tmp.dir, 'wrong-key');
    const oport = await freePort();
    const oconfig = initNode(
      odir,
      { internalListen: `127.0.0.1:${oport}`, primaryUrl: `http://127.0.0.1:${internal}/`, primaryApi: 'log-go', primaryPublicUrl: publicUrl, replicationIntervalMs: 50 },
      toHex(other.publicKey),
    );
    const wrongKey = await startNode(['secondary', '-c', oconfig], 'secondary started');
    running.push(wrongKey);

    phase('started');
    const current = { url: publicUrl };
    const factory = new LeafFactory('migrate');
    const load = new SubmitLoad(factory, current);
    const { acknowledged } = load;
    // Every head served: the public ones, and the secondary's with the largest public size seen before asking for it.
    const publicHeads: TreeHead[] = [];
    const secondaryHeads: { head: TreeHead; publicBefore: bigint }[] = [];
    let publicMax = -1n;
    const watcher = async (): Promise<void> => {
      while (load.running) {
        try {
          const r = await getText(current.url + 'get-tree-head');
          if (r.status === 200) {
            const h = parseCosignedTreeHeadBody(r.text);
            publicHeads.push(h);
            if (h.size > publicMax) publicMax = h.size;
          }
          const before = publicMax;
          const s = await getText(secondaryUrl + 'get-secondary-tree-head');
          if (s.status === 200) {
            const sth = parseSignedTreeHeadBody(s.text);
            expect(await verifyTreeHeadSignature(sth, secondaryKey)).toBe(true);
            secondaryHeads.push({ head: sth, publicBefore: before });
          }
        } catch {
          // a node is down during the cut-over
        }
        await sleep(30);
      }
    };
    load.start(4, watcher);
    expect(await waitFor(() => acknowledged.size >= 40, 60_000), primary.output().slice(-2000)).toBe(true);
    const sHealth = await getText(secondaryUrl + 'health');
    expect(field(sHealth.text, 'status')).toBe('ok');
    expect(field(sHealth.text, 'primary_api')).toBe('log-go');
    expect(Number(field(sHealth.text, 'tree_size'))).toBeGreaterThan(0);

    phase('loaded');
    // Drain writes (as the runbook's proxy would), let the last head be published and replicated.
    await load.stop();
    let lastHeadText = '';
    expect(
      await waitFor(async () => {
        const internalHealth = await getText(`http://127.0.0.1:${internal}/health`);
        lastHeadText = (await getText(publicUrl + 'get-tree-head')).text;
        const last = parseCosignedTreeHeadBody(lastHeadText);
        const h = await getText(secondaryUrl + 'health');
        return BigInt(field(internalHealth.text, 'tree_size') ?? -1) === last.size && field(h.text, 'tree_size') === `${last.size}`;
      }, 30_000),
    ).toBe(true);
    const lastHead = parseCosignedTreeHeadBody(lastHeadText);
    publicHeads.push(lastHead);

    // The follower with the wrong log key refused every head and stored nothing.
    const wrong = await getText(`http://127.0.0.1:${oport}/health`);
    expect(field(wrong.text, 'tree_size')).toBe('0');
    expect(field(wrong.text, 'status')).toBe('unreachable');
    expect(field(wrong.text, 'error')).toMatch(new RegExp(`^the tree head from ${publicUrl} \\(size \\d+\\) is not signed by the log key ${toHex(other.publicKey)}$`));
    expect(parseSignedTreeHeadBody((await getText(`http://127.0.0.1:${oport}/get-secondary-tree-head`)).text).size).toBe(0n);

    phase('drained');
    // Cut over: stop the old primary and the secondary, promote against the last published head.
    expect((await primary.stop('SIGTERM')).code).toBe(0);
    expect((await secondary.stop('SIGTERM')).code).toBe(0);
    const headFile = join(tmp.dir, 'last-head.txt');
    writeFileSync(headFile, lastHeadText);
    const newConfig = join(sdir, 'primary.json');
    const promoted = runCli(['promote', '-c', sconfig, '--log-key', logKeyPath, '--tree-head', headFile, '--write-config', newConfig]);
    expect(promoted.status, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(`promoted: tree_size=${lastHead.size} published_size=${lastHead.size} startup_mode=local-tree\n`);
    expect(JSON.parse(readFileSync(newConfig, 'utf8'))).not.toHaveProperty('primaryApi');
    patchConfig(newConfig, { ...logSettings, listen: `127.0.0.1:${pub}`, internalListen: `127.0.0.1:${internal}` });
    const promotedNode = await startNode(['primary', '-c', newConfig], 'log started');
    running.push(promotedNode);

    phase('promoted');
    // Keep serving at the same URL: new leaves get 200 only under heads both witnesses cosigned.
    const acksBefore = acknowledged.size;
    load.start(4, watcher);
    expect(await waitFor(() => acknowledged.size >= acksBefore + 20, 60_000), promotedNode.output().slice(-2000)).toBe(true);
    await load.stop();
    expect(load.unexpected).toEqual([]);

    phase('served');
    // The final head: once it covers everything integrated (leaves still in flight when the load stopped).
    const client = new LogClient({ url: publicUrl, retries: 2 });
    let final = await client.getTreeHead();
    expect(
      await waitFor(async () => {
        const h = await getText(`http://127.0.0.1:${internal}/health`);
        final = await client.getTreeHead();
        return final.size === BigInt(field(h.text, 'tree_size') ?? -1);
      }, 30_000),
    ).toBe(true);
    expect(final.size > lastHead.size).toBe(true);
    const policy = parsePolicy(policyLines.join('\n'));
    expect((await verifyCosignedTreeHead(policy, keyHash(logKey), final)).ok).toBe(true);
    await pool([...acknowledged.values()], 16, async (leafHash) => {
      const p = await client.getInclusionProof(final.size, leafHash);
      verifyInclusion(leafHash, p.leafIndex, final.size, p.path, final.rootHash);
    });

    // The secondary never signed beyond a published head, and every head served is consistent with the final one.
    expect(secondaryHeads.length).toBeGreaterThan(0);
    for (const s of secondaryHeads) expect(s.head.size <= s.publicBefore || s.head.size === 0n, `secondary signed size ${s.head.size} before any public head covered it`).toBe(true);
    const bySize = await expectConsistentWithFinal([...publicHeads, ...secondaryHeads.map((s) => s.head)], final, client);
    console.log(`log-go migration: ${acknowledged.size} acknowledged leaves (${acksBefore} before the cut-over), ${bySize.size} distinct heads checked, final size ${final.size}`);
  }, 180_000);
});
