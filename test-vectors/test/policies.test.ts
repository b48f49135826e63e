import { describe, it } from 'vitest';
import { checkPolicies } from '../suite/policies.js';
import { expectAllPass } from './helpers.js';

describe('sigsum-go policy vectors', () => {
  it('gives Go verdicts on every policy text, quorum evaluation and builtin policy', async () => {
    // 77 texts + 4 builtin texts + 252 quorum evaluations + 177 replays with real
    // cosignatures + 4 builtin copies + 8 key hashes.
    expectAllPass(await checkPolicies(), 77 + 4 + 252 + 177 + 4 + 8);
  });
});
