// The witness.json vectors (sigsum-go's sigsum-witness verdicts) through the
// real HTTP server: one case of every kind, state set in the SQLite file, the
// clock injected, exact status, content type and body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SeedSigner, fromHex } from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { startWitness, type RunningWitness } from '../src/witness/server.js';
import { WitnessStateStore } from '../src/witness/state.js';
import { emptyState } from '../src/witness/core.js';
import { tempDir } from './witness-fixtures.js';
import type { WitnessCase } from '@sigsum-kit/test-vectors';

type Case = WitnessCase;

const v = await loadSigsumVectors('witness');
const cases = v.cases as Case[];
// Every 200 case, and the first case of each mutation kind (the suffix after the slash).
const kinds = new Set<string>();
const subset = cases.filter((c) => {
  if (c.expect_status === 200 && !c.name.includes('/')) return true;
  const kind = c.name.split('/')[1];
  if (kind === undefined || kinds.has(kind)) return false;
  kinds.add(kind);
  return true;
});

describe('witness.json over real HTTP', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'vectors.db');
  let clock = 0n;
  let w: RunningWitness;
  let store: WitnessStateStore;
  beforeAll(async () => {
    w = await startWitness({
      signer: new SeedSigner(fromHex(v.witness.seed, 'seed', 32)),
      statePath: db,
      logKeys: [fromHex(v.log.public_key, 'log key', 32)],
      now: () => clock,
    });
    store = new WitnessStateStore(db);
  });
  afterAll(async () => {
    store.close();
    await w.close();
    tmp.cleanup();
  });

  it('covers every kind of case', () => {
    expect(subset.length).toBeGreaterThanOrEqual(35);
    expect(new Set(subset.map((c) => c.expect_status))).toEqual(new Set([200, 400, 403, 404, 409, 422]));
  });

  for (const c of subset) {
    it(`${c.name} → ${c.expect_status}`, async () => {
      const before = c.state_file === null ? emptyState() : { size: BigInt(c.state_size), rootHash: fromHex(c.state_root_hash, 'root', 32) };
      store.put(v.log.origin, before);
      clock = BigInt(c.timestamp);
      const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: c.request_body });
      const body = await res.text();
      expect(res.status).toBe(c.expect_status);
      if (c.response_body !== undefined) expect(body).toBe(c.response_body);
      expect(res.headers.get('content-type')).toContain(c.expect_status === 409 ? 'text/x.tlog.size' : 'text/plain');
      const after = store.get(v.log.origin);
      if (c.expect_status === 200) {
        // Stored: the checkpoint's size, two lines after the blank line that ends the proof.
        const lines = c.request_body.split('\n');
        expect(after.size).toBe(BigInt(lines[lines.indexOf('', 1) + 2]!));
      } else {
        expect(after).toEqual(before);
      }
    });
  }
});
