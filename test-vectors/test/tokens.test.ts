import { describe, it } from 'vitest';
import tokensSuite from '../suite/tokens.js';
import { expectAllPass } from './helpers.js';

describe('tokens.json vectors', () => {
  it('matches Go on tokens, headers, TXT records, checks and domain normalization', async () => {
    // 3 tokens x (10 + 5 checks x 2) + 12 headers + 16 normalizations.
    expectAllPass(await tokensSuite(), 3 * 20 + 12 + 16);
  });
});
