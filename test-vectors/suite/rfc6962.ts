/**
 * RFC 6962 known answers (the classic 8-leaf CT test tree): roots of every
 * prefix, and inclusion/consistency proofs that our verifiers accept and our
 * generator reproduces exactly.
 */
import { MemoryTree, SigsumError, fromHex, hashLeaf, rootFromLeafHashes, toHex, verifyConsistency, verifyInclusion } from '@sigsum-kit/sdk';
import { CompactRange } from '@sigsum-kit/sdk/internal';
import data from '../data/rfc6962/known-answers.json' with { type: 'json' };
import type { CaseResult } from './types.js';
import { result } from './types.js';

const FILE = 'rfc6962';

function attempt(run: () => void): string {
  try {
    run();
    return 'valid';
  } catch (e) {
    return e instanceof SigsumError ? `invalid (${e.code})` : `crash: ${String(e)}`;
  }
}

/** Check every known answer. */
export async function checkRfc6962(): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  const leafHashes = data.leaves.map((d) => hashLeaf(fromHex(d)));
  const tree = MemoryTree.fromLeafHashes(leafHashes);
  const range = new CompactRange();
  for (let n = 0; n < data.roots.length; n++) {
    if (n > 0) range.append(leafHashes[n - 1]!);
    const want = data.roots[n]!;
    out.push(result(FILE, `root-${n}/mth`, want, toHex(rootFromLeafHashes(leafHashes.slice(0, n)))));
    out.push(result(FILE, `root-${n}/memory-tree`, want, toHex(tree.root(n))));
    out.push(result(FILE, `root-${n}/compact-range`, want, toHex(range.root())));
  }
  for (const c of data.inclusion) {
    const name = `inclusion-${c.index}-${c.size}`;
    const path = c.path.map((p) => fromHex(p));
    const root = fromHex(data.roots[c.size]!);
    out.push(result(FILE, name, 'valid', attempt(() => verifyInclusion(leafHashes[c.index]!, BigInt(c.index), BigInt(c.size), path, root))));
    out.push(result(FILE, `${name}/generated`, c.path.join(','), tree.inclusionProof(c.index, c.size).map(toHex).join(',')));
  }
  for (const c of data.consistency) {
    const name = `consistency-${c.old_size}-${c.new_size}`;
    const path = c.path.map((p) => fromHex(p));
    const run = () => verifyConsistency(BigInt(c.old_size), BigInt(c.new_size), fromHex(data.roots[c.old_size]!), fromHex(data.roots[c.new_size]!), path);
    out.push(result(FILE, name, 'valid', attempt(run)));
    out.push(result(FILE, `${name}/generated`, c.path.join(','), tree.consistencyProof(c.old_size, c.new_size).map(toHex).join(',')));
  }
  return out;
}
