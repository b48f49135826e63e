import { describe, it } from 'vitest';
import { checkMerkle } from '../suite/merkle.js';
import { expectAllPass } from './helpers.js';

describe('sigsum-go merkle vectors', () => {
  it('gives Go verdicts on every inclusion and consistency case, and generates the same proofs', async () => {
    // 1 leaf check + 44 trees + 896 inclusion + 859 consistency + 199 + 230 generated proofs.
    expectAllPass(await checkMerkle(), 1 + 44 + 896 + 859 + 199 + 230);
  });
});
