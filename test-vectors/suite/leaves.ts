/**
 * Vector suite for `leaves.json`: checksums, namespaced signed data, leaf
 * signatures (deterministic re-signing), 128-byte leaves, leaf hashes,
 * get-leaves lines and body, add-leaf requests and both Go verdicts
 * (types.Leaf.Verify and requests.Leaf.Verify).
 */
import {
  SeedSigner,
  TREE_LEAF_NAMESPACE,
  checksumOf,
  fromHex,
  leafFromBytes,
  leafHashOf,
  leafToBytes,
  namespacedMessage,
  parseAddLeafRequest,
  parseLeavesBody,
  serializeAddLeafRequest,
  serializeLeaves,
  signLeaf,
  toHex,
  verifyAddLeafRequest,
  verifyLeafSignature,
  type Leaf,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors, type LeafEncodings, type LeavesVectors } from '../index.js';
import { result, type CaseResult } from './types.js';

const FILE = 'leaves';

/** A case of either group: the valid cases carry the submitter, the invalid ones a public key and Go's add-leaf error. */
type LeafCase = Partial<LeavesVectors['cases'][number] & LeavesVectors['invalid'][number]> & LeafEncodings & { name: string };

async function runCase(c: LeafCase, isValidGroup: boolean, out: CaseResult[]): Promise<Leaf> {
  const pub = fromHex(c.submitter?.public_key ?? c.public_key!);
  const leaf: Leaf = { checksum: fromHex(c.checksum), signature: fromHex(c.signature), keyHash: fromHex(c.key_hash) };
  const n = c.name;
  const eq = (what: string, got: string, want: string): void => {
    out.push(result(FILE, `${n}/${what}`, want, got));
  };
  if (isValidGroup) eq('checksum', toHex(checksumOf(fromHex(c.message))), c.checksum);
  if (c.signed_data !== undefined) eq('signed-data', toHex(namespacedMessage(TREE_LEAF_NAMESPACE, leaf.checksum)), c.signed_data);
  if (c.submitter !== undefined) {
    const signer = new SeedSigner(fromHex(c.submitter.seed));
    eq('public-key', toHex(signer.publicKey), c.submitter.public_key);
    eq('sign', toHex(await signLeaf(signer, fromHex(c.message))), c.signature);
  }
  eq('leaf-binary', toHex(leafToBytes(leaf)), c.leaf_binary);
  const back = leafFromBytes(fromHex(c.leaf_binary));
  eq('leaf-from-binary', `${toHex(back.checksum)} ${toHex(back.signature)} ${toHex(back.keyHash)}`, `${c.checksum} ${c.signature} ${c.key_hash}`);
  eq('leaf-hash', toHex(leafHashOf(leaf)), c.leaf_hash);
  eq('get-leaves-line', serializeLeaves([leaf]), c.get_leaves_line);
  const parsed = parseLeavesBody(c.get_leaves_line, { maxCount: 1 });
  eq('get-leaves-parse', parsed.length === 1 ? toHex(leafToBytes(parsed[0]!)) : `${parsed.length} leaves`, c.leaf_binary);
  const req = parseAddLeafRequest(c.add_leaf_request);
  eq('add-leaf-roundtrip', serializeAddLeafRequest(req), c.add_leaf_request);
  eq('leaf-verify', (await verifyLeafSignature(leaf, pub)) ? 'valid' : 'invalid', c.expect);
  let addLeaf: string;
  try {
    const derived = await verifyAddLeafRequest(req);
    addLeaf = 'valid';
    // The log derives checksum and key hash from the request.
    eq('add-leaf-derived-checksum', toHex(derived.checksum), toHex(checksumOf(req.message)));
  } catch {
    addLeaf = 'invalid';
  }
  const wantAddLeaf = isValidGroup || c.add_leaf_verify_error === '' || c.add_leaf_verify_error === undefined ? 'valid' : 'invalid';
  eq('add-leaf-verify', addLeaf, wantAddLeaf);
  return leaf;
}

/** Run every case of leaves.json. */
export default async function leavesSuite(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('leaves');
  const out: CaseResult[] = [];
  const valid: Leaf[] = [];
  for (const c of v.cases) valid.push(await runCase(c, true, out));
  for (const c of v.invalid) await runCase(c, false, out);
  // The get-leaves body is the valid leaves in order.
  const body = v.get_leaves_body;
  const leaves = parseLeavesBody(body);
  out.push(result(FILE, 'get-leaves-body/parse', valid.map((l) => toHex(leafToBytes(l))).join(','), leaves.map((l) => toHex(leafToBytes(l))).join(',')));
  out.push(result(FILE, 'get-leaves-body/serialize', body, serializeLeaves(leaves)));
  return out;
}
