// Two witness servers sharing one SQLite file (two connections, as two
// processes would): requests racing from the same old size must never both
// succeed, round after round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { WitnessStateStore } from '../src/witness/state.js';
import { TestLog, tempDir, testSigner } from './witness-fixtures.js';

describe('witness state under concurrent requests', () => {
  const log = new TestLog('race-log');
  const tmp = tempDir('sigsum-witness-race-');
  const db = join(tmp.dir, 'shared.db');
  let w1: RunningWitness;
  let w2: RunningWitness;
  let probe: WitnessStateStore;
  beforeAll(async () => {
    const signer = testSigner('race-witness');
    w1 = await startWitness({ signer, statePath: db, logKeys: [log.publicKey] });
    w2 = await startWitness({ signer, statePath: db, logKeys: [log.publicKey] });
    probe = new WitnessStateStore(db);
  });
  afterAll(async () => {
    probe.close();
    await w1.close();
    await w2.close();
    tmp.cleanup();
  });

  it('lets exactly one of several racers win each round, across servers sharing the file', async () => {
    let size = 0;
    for (let round = 0; round < 8; round++) {
      // Four racers from the current size to four different new sizes, spread over both servers.
      const targets = [size + 1, size + 2, size + 3, size + 4];
      const bodies = await Promise.all(targets.map((t) => log.body(size, t)));
      const results = await Promise.all(
        bodies.map(async (body, i) => {
          const r = await fetch(`${(i % 2 === 0 ? w1 : w2).url}/add-checkpoint`, { method: 'POST', body });
          return { status: r.status, text: await r.text(), target: targets[i]! };
        }),
      );
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      const won = winners[0]!.target;
      for (const r of results.filter((x) => x.status !== 200)) {
        expect(r.status).toBe(409);
        expect(r.text).toBe(`${won}\n`);
      }
      expect(probe.get(log.origin).size).toBe(BigInt(won));
      size = won;
    }
  });
});
