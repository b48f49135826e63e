import { describe, it } from 'vitest';
import treeHeadsSuite from '../suite/tree-heads.js';
import { expectAllPass } from './helpers.js';

describe('tree-heads.json vectors', () => {
  it('matches Go on checkpoint texts, signatures, cosignatures, bodies and all checks', async () => {
    // Per tree head: 13 fixed checks + 5 log checks + 2 cosignatures x (8 + 4 checks + 1 note-form check).
    expectAllPass(await treeHeadsSuite(), 10 * (13 + 5 + 2 * 13));
  });
});
