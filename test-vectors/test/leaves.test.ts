import { describe, it } from 'vitest';
import leavesSuite from '../suite/leaves.js';
import { expectAllPass } from './helpers.js';

describe('leaves.json vectors', () => {
  it('matches Go on leaf bytes, hashes, signatures, get-leaves and add-leaf', async () => {
    // 12 valid cases x 13 checks, 24 invalid x 8 (+1 where add-leaf accepts), 2 body checks.
    expectAllPass(await leavesSuite(), 12 * 13 + 24 * 8 + 3 + 2);
  });
});
