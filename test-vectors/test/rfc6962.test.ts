import { describe, it } from 'vitest';
import { checkRfc6962 } from '../suite/rfc6962.js';
import { expectAllPass } from './helpers.js';

describe('RFC 6962 known answers', () => {
  it('reproduces the roots and proofs of the 8-leaf CT test tree', async () => {
    // 9 roots × 3 implementations + 5 inclusion × 2 + 4 consistency × 2.
    expectAllPass(await checkRfc6962(), 27 + 10 + 8);
  });
});
