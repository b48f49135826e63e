import { describe, it } from 'vitest';
import { checkProofs } from '../suite/proofs.js';
import { expectAllPass } from './helpers.js';

describe('sigsum-go proof vectors', () => {
  it('fails every case at the stage Go fails it and accepts the valid ones', async () => {
    expectAllPass(await checkProofs(), 528);
  });
});
