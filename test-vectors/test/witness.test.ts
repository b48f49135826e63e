import { describe, it } from 'vitest';
import witnessSuite from '../suite/witness.js';
import { expectAllPass } from './helpers.js';

describe('witness.json (sigsum-go sigsum-witness verdicts)', () => {
  it('gives the Go status and exact body on every case', async () => {
    expectAllPass(await witnessSuite(), 138);
  });
});
