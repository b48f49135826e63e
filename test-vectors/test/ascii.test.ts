import { describe, it } from 'vitest';
import asciiSuite from '../suite/ascii.js';
import { expectAllPass } from './helpers.js';

describe('ascii.json vectors', () => {
  it('gives Go’s verdict, parsed fields and re-serialization on every body and integer', async () => {
    // 218 bodies + 21 integers in the shipped file.
    expectAllPass(await asciiSuite(), 239);
  });
});
