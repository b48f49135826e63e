import { describe, expect, it } from 'vitest';
import { fromHex, toHex, sha256, utf8 } from '@sigsum-kit/sdk';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';

describe('skeleton', () => {
  it('hashes and loads vectors', async () => {
    expect(toHex(sha256(utf8('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(fromHex('ABcd'))).toBe('abcd');
    const m = await loadSigsumVectors('merkle');
    expect(m.trees[0]!.root_hash).toBe(toHex(sha256(new Uint8Array())));
  });
});
