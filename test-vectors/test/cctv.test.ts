import { describe, expect, it } from 'vitest';
import { ed25519Backend } from '@sigsum-kit/sdk';
import { checkCctv } from '../suite/cctv.js';
import { expectAllPass } from './helpers.js';

describe('CCTV Ed25519 vectors give Go verdicts', () => {
  for (const path of ['native', 'webcrypto', 'noble', 'default'] as const) {
    it(`on the ${path} path`, async () => {
      const results = await checkCctv(path);
      expectAllPass(results, 914);
      expect(results.filter((r) => r.got === 'accept')).toHaveLength(208);
    });
  }

  it("uses Node's crypto by default in Node 20", async () => {
    expect(await ed25519Backend()).toBe('native');
  });
});
