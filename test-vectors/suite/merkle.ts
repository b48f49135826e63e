/**
 * sigsum-go merkle.json: every inclusion and consistency case through the
 * SDK's verifiers (same verdict as Go), every tree root, and, for each honest
 * case, the proof our generator produces must equal Go's path byte for byte.
 */
import { MemoryTree, SigsumError, fromHex, hashLeaf, rootFromLeafHashes, toHex, verifyConsistency, verifyInclusion } from '@sigsum-kit/sdk';
import { CompactRange } from '@sigsum-kit/sdk/internal';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import type { CaseResult } from './types.js';
import { result } from './types.js';

const FILE = 'merkle';

function verdict(run: () => void): { got: string; detail?: string } {
  try {
    run();
    return { got: 'valid' };
  } catch (e) {
    // Only our typed errors count as a clean rejection; anything else is a bug.
    if (e instanceof SigsumError) return { got: 'invalid', detail: `${e.code}: ${e.message}` };
    return { got: 'crash', detail: String(e) };
  }
}

function samePath(a: readonly Uint8Array[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h, i) => toHex(h) === b[i]);
}

/** Run every case of merkle.json. */
export async function checkMerkle(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('merkle');
  const out: CaseResult[] = [];

  const leafHashes: Uint8Array[] = [];
  let badLeaves = 0;
  // Only the first leaves carry a leaf_hash; the trees' roots cover the rest.
  for (const leaf of v.leaves) {
    const h = hashLeaf(fromHex(leaf.data));
    if (leaf.leaf_hash !== undefined && toHex(h) !== leaf.leaf_hash) badLeaves++;
    leafHashes.push(h);
  }
  out.push(result(FILE, 'leaf-hashes', 'all equal', badLeaves === 0 ? 'all equal' : `${badLeaves} differ`));

  const tree = MemoryTree.fromLeafHashes(leafHashes);
  const range = new CompactRange();
  for (const t of v.trees) {
    while (range.size < t.size) range.append(leafHashes[range.size]!);
    const roots = [rootFromLeafHashes(leafHashes.slice(0, t.size)), tree.root(t.size), range.root()].map(toHex);
    const got = roots.every((r) => r === roots[0]) ? roots[0]! : `disagree: ${roots.join(' ')}`;
    out.push(result(FILE, `tree-${t.size}`, t.root_hash, got));
  }

  for (const c of v.inclusion) {
    const r = verdict(() => verifyInclusion(fromHex(c.leaf_hash), BigInt(c.index), BigInt(c.size), c.path.map((p) => fromHex(p)), fromHex(c.root_hash)));
    out.push(result(FILE, c.name, c.expect, r.got, r.detail));
    if (c.mutation === undefined && c.expect === 'valid') {
      const gen = tree.inclusionProof(c.index, c.size);
      out.push(result(FILE, `${c.name}/generated`, 'same path', samePath(gen, c.path) ? 'same path' : 'different path'));
    }
  }

  for (const c of v.consistency) {
    const r = verdict(() => verifyConsistency(BigInt(c.old_size), BigInt(c.new_size), fromHex(c.old_root), fromHex(c.new_root), c.path.map((p) => fromHex(p))));
    out.push(result(FILE, c.name, c.expect, r.got, r.detail));
    if (c.mutation === undefined && c.expect === 'valid') {
      const gen = tree.consistencyProof(c.old_size, c.new_size);
      out.push(result(FILE, `${c.name}/generated`, 'same path', samePath(gen, c.path) ? 'same path' : 'different path'));
    }
  }
  return out;
}
