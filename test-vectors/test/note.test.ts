import { describe, it } from 'vitest';
import noteSuite from '../suite/note.js';
import { expectAllPass } from './helpers.js';

describe('signed-note vectors (witness.json, keys.json)', () => {
  it('parses exactly the add-checkpoint bodies Go accepts, and matches vkeys, checkpoints and cosignature lines', async () => {
    // 5 key checks + 138 witness parse verdicts + fields/verdicts of the accepted ones + vkey cases (295 in the shipped files).
    expectAllPass(await noteSuite(), 295);
  });
});
