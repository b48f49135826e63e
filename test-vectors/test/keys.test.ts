import { describe, it } from 'vitest';
import { checkKeys } from '../suite/keys.js';
import { expectAllPass } from './helpers.js';

describe('sigsum-go key vectors', () => {
  it('gives Go verdicts on every public and private key text and serializes keys byte for byte', async () => {
    // 22 public key lines + 13 private key files + 7 keys x 7 outputs.
    expectAllPass(await checkKeys(), 22 + 13 + 7 * 7);
  });
});
