/**
 * Failover without a split view: real processes on 127.0.0.1 (primary,
 * secondary, two reference witnesses). Under continuous concurrent
 * submissions the primary is SIGKILLed at a random moment, the secondary is
 * stopped and promoted (`sigsum-log promote`), started as the new primary
 * with a fresh secondary, and submissions continue — ten times. Afterwards
 * every leaf that ever got a 200 is in the final tree, every tree head ever
 * published (seen by a watcher, the SDK monitor and the witnesses) is
 * consistent with every later one, and the witnesses cosign each promoted
 * log's heads. Recovery times are measured and printed.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LogClient,
  keyHash,
  parseOpenSshPublicKey,
  parseCosignedTreeHeadBody,
  parsePolicy,
  serializeCosignedTreeHead,
  toHex,
  treeHeadOriginOfKey,
  verifyConsistency,
  verifyCosignedTreeHead,
  verifyInclusion,
  type CosignedTreeHead,
} from '@sigsum-kit/sdk';
import { Monitor, type MonitorEvent } from '@sigsum-kit/sdk/node';
import { WitnessStateStore } from '../src/witness/state.js';
import { pool } from './log-helpers.js';
import { LeafFactory, SubmitLoad, expectConsistentWithFinal, field, freePort, getText, initNode, patchConfig, scratchSpace, runCli, startNode, startWitnessNode, waitFor, type NodeProcess } from './replication-helpers.js';

const ROUNDS = 10;
const TOKEN = 'failover-test-token';

interface Node {
  dir: string;
  config: string;
  proc: NodeProcess;
  url: string;
}

describe('failover: SIGKILL the primary, promote the secondary', () => {
  const { tmp, running } = scratchSpace('sigsum-failover-');

  it(`keeps every 200 and one consistent history across ${ROUNDS} promotions`, async () => {
    // The log key lives in p0/ and is "restored from backup" for every promotion.
    const p0 = join(tmp.dir, 'p0');
    const primaryConfig0 = initNode(p0, {});
    const logKeyPath = join(p0, 'log.key');
    const logPub = readFileSync(join(p0, 'log.key.pub'), 'utf8').trim();
    const logKey = parseOpenSshPublicKey(logPub).publicKey;
    const logKeyHex = toHex(logKey);

    const wdir = join(tmp.dir, 'witnesses');
    mkdirSync(wdir);
    const wa = await startWitnessNode(wdir, 'A', logKeyHex);
    const wb = await startWitnessNode(wdir, 'B', logKeyHex);
    running.push(wa.node, wb.node);
    const policyLines = [`witness A ${toHex(wa.publicKey)} ${wa.url}`, `witness B ${toHex(wb.publicKey)} ${wb.url}`, 'group both all A B', 'quorum both', ''];
    const policyPath = join(tmp.dir, 'policy');
    writeFileSync(policyPath, [`log ${logKeyHex}`, ...policyLines].join('\n'));

    const logSettings = { intervalMs: 200, integrateIntervalMs: 5, witnessTimeoutMs: 1500, policyFile: policyPath, replicationToken: TOKEN };

    /** Start a primary from `config` with a brand-new secondary in `sdir`. */
    const startPair = async (config: string, sdir: string): Promise<{ primary: Node; secondary: Node }> => {
      const [pub, internal, sport] = [await freePort(), await freePort(), await freePort()];
      const sconfig = initNode(sdir, { internalListen: `127.0.0.1:${sport}`, primaryUrl: `http://127.0.0.1:${internal}/`, replicationToken: TOKEN, replicationIntervalMs: 20 }, join(p0, 'log.key.pub'));
      patchConfig(config, {
        ...logSettings,
        listen: `127.0.0.1:${pub}`,
        internalListen: `127.0.0.1:${internal}`,
        secondaryUrl: `http://127.0.0.1:${sport}/`,
        secondaryPublicKey: join(sdir, 'log.key.pub'),
      });
      const pproc = await startNode(['primary', '-c', config], 'log started');
      running.push(pproc);
      const sproc = await startNode(['secondary', '-c', sconfig], 'secondary started');
      running.push(sproc);
      return {
        primary: { dir: config, config, proc: pproc, url: `http://127.0.0.1:${pub}/` },
        secondary: { dir: sdir, config: sconfig, proc: sproc, url: `http://127.0.0.1:${sport}/` },
      };
    };

    let { primary, secondary } = await startPair(primaryConfig0, join(tmp.dir, 's0'));
    const current = { url: primary.url };

    // Load: concurrent submitters that re-send each leaf (to whichever node is primary) until 200.
    const factory = new LeafFactory('failover');
    const load = new SubmitLoad(factory, current);
    const { acknowledged } = load;
    // Watcher: every tree head served by whichever node is primary.
    const heads: CosignedTreeHead[] = [];
    const watcher = async (): Promise<void> => {
      while (load.running) {
        try {
          const r = await getText(current.url + 'get-tree-head');
          if (r.status === 200) heads.push(parseCosignedTreeHeadBody(r.text));
        } catch {
          // down during failover
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    // The SDK monitor, with its state carried across promotions in one state file.
    const alerts: MonitorEvent[] = [];
    const monitorHeads = new Set<string>();
    let monitorNewest = { size: -1n, rootHash: '' };
    const monitorState = join(tmp.dir, 'monitor-state.json');
    const monitorLoop = async (): Promise<void> => {
      while (load.running) {
        const policy = parsePolicy([`log ${logKeyHex} ${current.url}`, ...policyLines].join('\n'));
        const m = new Monitor({ policy, submitKeys: [factory.publicKey], stateFile: monitorState, requestTimeoutMs: 2000, onEvent: (e) => {
            if (e.type === 'alert') alerts.push(e);
            if (e.type === 'tree-head') {
              monitorHeads.add(`${e.size}`);
              if (e.size > monitorNewest.size) monitorNewest = { size: e.size, rootHash: e.rootHash };
            }
          },
        });
        await m.runOnce();
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    load.start(6, watcher, monitorLoop);

    const recoveries: { reads: number; cosigned: number; firstAck: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await waitFor(() => acknowledged.size > 0, 20_000);
      await new Promise((r) => setTimeout(r, 250 + Math.floor(Math.random() * 500)));
      // The old primary dies at a random moment; the secondary is stopped cleanly.
      const killedAt = Date.now();
      expect((await primary.proc.stop('SIGKILL')).signal).toBe('SIGKILL');
      const acksBefore = acknowledged.size;
      expect((await secondary.proc.stop('SIGTERM')).code).toBe(0);

      // The newest head anyone saw anchors the promotion: the watcher's signed one, or the
      // monitor's size and root if it saw a newer one (as an operator would take a witness's).
      const last = heads.at(-1)!;
      const headFile = join(tmp.dir, `head-${round}.txt`);
      writeFileSync(headFile, monitorNewest.size > last.size ? `size=${monitorNewest.size}\nroot_hash=${monitorNewest.rootHash}\n` : serializeCosignedTreeHead(last));
      const anchorSize = monitorNewest.size > last.size ? monitorNewest.size : last.size;
      const newConfig = join(secondary.dir, 'primary.json');
      const promoted = runCli(['promote', '-c', secondary.config, '--log-key', logKeyPath, '--tree-head', headFile, '--write-config', newConfig]);
      expect(promoted.status, promoted.stderr).toBe(0);
      expect(promoted.stdout).toMatch(/^promoted: tree_size=\d+ published_size=\d+ startup_mode=local-tree$/m);

      ({ primary, secondary } = await startPair(newConfig, join(tmp.dir, `s${round}`)));
      current.url = primary.url;
      const reads = Date.now() - killedAt;
      // Recovered when the new primary publishes a new head, cosigned by both witnesses, and acknowledges new leaves.
      let cosigned = 0;
      expect(
        await waitFor(async () => {
          const th = parseCosignedTreeHeadBody((await getText(primary.url + 'get-tree-head')).text);
          if (th.size > anchorSize && th.cosignatures.length === 2) cosigned = Date.now() - killedAt;
          return cosigned > 0;
        }, 30_000),
        `round ${round}: promoted primary never published a cosigned head beyond ${anchorSize}\n${primary.proc.output().slice(-3000)}`,
      ).toBe(true);
      expect(await waitFor(() => acknowledged.size > acksBefore, 20_000)).toBe(true);
      recoveries.push({ reads, cosigned, firstAck: Date.now() - killedAt });
    }
    await load.stop();
    expect(load.unexpected).toEqual([]);

    // Final state: the last primary publishes everything it integrated.
    let final!: CosignedTreeHead;
    expect(
      await waitFor(async () => {
        const health = await getText(startedInternal(primary) + 'health');
        final = parseCosignedTreeHeadBody((await getText(primary.url + 'get-tree-head')).text);
        return final.size === BigInt(field(health.text, 'tree_size') ?? -1);
      }, 20_000),
    ).toBe(true);
    expect(acknowledged.size).toBeGreaterThan(ROUNDS * 5);

    const client = new LogClient({ url: primary.url, retries: 2 });
    await pool([...acknowledged.values()], 16, async (leafHash) => {
      const p = await client.getInclusionProof(final.size, leafHash);
      verifyInclusion(leafHash, p.leafIndex, final.size, p.path, final.rootHash);
    });

    // Every head ever seen is consistent with the final one (and equal sizes have equal roots).
    await expectConsistentWithFinal(heads, final, client);

    // The monitor saw no fork, rollback or bad signature across all promotions.
    expect(alerts.filter((a) => a.type === 'alert' && a.severity === 'critical')).toEqual([]);
    expect(monitorHeads.size, 'the monitor followed the log across promotions').toBeGreaterThanOrEqual(3);

    // The final head verifies under the policy, and each witness's state is consistent with it.
    const policy = parsePolicy([`log ${logKeyHex}`, ...policyLines].join('\n'));
    expect((await verifyCosignedTreeHead(policy, keyHash(logKey), final)).ok).toBe(true);
    for (const name of ['A', 'B']) {
      const store = new WitnessStateStore(join(wdir, `${name}.db`));
      try {
        const w = store.get(treeHeadOriginOfKey(logKey));
        expect(w.size <= final.size).toBe(true);
        const p = await client.getConsistencyProof(w.size, final.size);
        verifyConsistency(w.size, final.size, w.rootHash, final.rootHash, p.path);
      } finally {
        store.close();
      }
    }

    const avg = (k: 'reads' | 'cosigned' | 'firstAck'): number => Math.round(recoveries.reduce((s, r) => s + r[k], 0) / recoveries.length);
    const max = (k: 'reads' | 'cosigned' | 'firstAck'): number => Math.max(...recoveries.map((r) => r[k]));
    console.log(
      `failover: ${ROUNDS} promotions, ${acknowledged.size} acknowledged leaves, final size ${final.size}; recovery from SIGKILL ` +
        `(stop secondary + promote + start new pair): serving reads avg ${avg('reads')} ms (max ${max('reads')}), ` +
        `first cosigned head avg ${avg('cosigned')} ms (max ${max('cosigned')}), first new 200 avg ${avg('firstAck')} ms (max ${max('firstAck')})`,
    );
  }, 240_000);
});

/** The internal URL of a primary, from its "log started" line. */
function startedInternal(node: Node): string {
  const line = node.proc.lines().find((l) => l.msg === 'log started');
  return String(line?.internalUrl ?? '');
}
