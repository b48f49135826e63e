/**
 * The verify page's model, free of DOM code: parse the four inputs with the SDK
 * and turn the SDK's `verifyProof` result into six displayable steps.
 */
import {
  PROOF_STEPS, fromHex, keyHash, parseHexKey, parseOpenSshPublicKeys, parsePolicy, parseProof, toHex, verifyProof,
  type Policy, type ProofDetails, type ProofVerification, type SigsumProof,
} from '@sigsum-kit/sdk';
import { errorText } from './ui.js';

/** Titles and explanations of the six steps of the proof spec (same order as the SDK's `PROOF_STEPS`). */
export const STEPS: ReadonlyArray<{ name: (typeof PROOF_STEPS)[number]; title: string; what: string }> = [
  { name: 'checksum', title: 'Checksum', what: 'message = SHA-256(data) (or the given hash); checksum = SHA-256(message)' },
  { name: 'submitter', title: 'Submitter key', what: "the leaf's key hash equals the hash of a given submitter key" },
  { name: 'leaf-signature', title: 'Leaf signature', what: 'Ed25519 signature by the submitter over "sigsum.org/v1/tree-leaf" NUL checksum' },
  { name: 'log', title: 'Log signature', what: "the proof's log is in the policy and its signature on the tree head verifies" },
  { name: 'cosignatures', title: 'Cosignatures and quorum', what: "each cosignature is checked against the policy's witnesses (unknown ones are ignored); the quorum must hold" },
  { name: 'inclusion', title: 'Inclusion proof', what: 'the leaf hash and the audit path lead to the signed root hash' },
];

/** One step as displayed. */
export interface StepView {
  /** Step number 1..6. */
  n: number;
  title: string;
  what: string;
  /** pass, fail, or not reached (an earlier step failed). */
  status: 'pass' | 'fail' | 'skip';
  /** The SDK's reason, for the failed step. */
  error?: string;
  /** What was checked, as label/value pairs. */
  facts: Array<[string, string]>;
}

/** Raw inputs from the page. */
export interface VerifyInputs {
  /** The data file's bytes, or (rawHash) the text of its hex hash. */
  data: Uint8Array;
  /** Whether `data` holds the 32-byte message in hex instead of the data. */
  rawHash: boolean;
  /** The proof file's exact bytes (a loaded file is not normalized: a CRLF file fails as in Go). */
  proof: Uint8Array;
  /** The policy file's exact bytes. */
  policy: Uint8Array;
  /** The public key file's bytes. */
  keys: Uint8Array;
}

/** Inputs after parsing. */
export interface ParsedInputs {
  /** The data, or undefined in raw-hash mode. */
  data: Uint8Array | undefined;
  /** The message in raw-hash mode. */
  message: Uint8Array | undefined;
  keys: Uint8Array[];
  proof: SigsumProof;
  policy: Policy;
}

/** Parse every input; the first malformed one gives an error naming the field and the SDK's reason. */
export function parseInputs(i: VerifyInputs): ParsedInputs | { error: string } {
  let message: Uint8Array | undefined;
  if (i.rawHash) {
    const text = new TextDecoder().decode(i.data).trim();
    try { message = fromHex(text, 'hash', 32); } catch (e) { return { error: `data hash: ${errorText(e)}` }; }
  }
  const blank = (b: Uint8Array): boolean => new TextDecoder().decode(b).trim() === '';
  if (blank(i.proof)) return { error: 'proof: empty — paste or drop a .proof file' };
  if (blank(i.policy)) return { error: 'policy: empty — paste or drop a policy file' };
  if (blank(i.keys)) return { error: "public key: empty — paste or drop the submitter's .pub file" };
  let keys: Uint8Array[];
  try { keys = parseKeys(new TextDecoder().decode(i.keys)); } catch (e) { return { error: `public key: ${errorText(e)}` }; }
  let policy: Policy;
  try { policy = parsePolicy(i.policy); } catch (e) { return { error: `policy: ${errorText(e)}` }; }
  let proof: SigsumProof;
  try { proof = parseProof(i.proof); } catch (e) { return { error: `proof: ${errorText(e)}` }; }
  return { data: i.rawHash ? undefined : i.data, message, keys, proof, policy };
}

/** OpenSSH public key lines (one or more, as sigsum-verify reads them) or a raw hex key. */
function parseKeys(text: string): Uint8Array[] {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return [parseHexKey(t)];
  return parseOpenSshPublicKeys(text).map((k) => k.publicKey);
}

/** Run the SDK's `verifyProof`. */
export function runVerify(p: ParsedInputs): Promise<ProofVerification> {
  return p.message !== undefined
    ? verifyProof(p.proof, { message: p.message, submitterKeys: p.keys, policy: p.policy })
    : verifyProof(p.proof, { data: p.data!, submitterKeys: p.keys, policy: p.policy });
}

/** Map the SDK's result onto the six steps. */
export function stepViews(p: ParsedInputs, r: ProofVerification): StepView[] {
  const failedAt = r.ok ? 0 : r.step;
  return STEPS.map((s, i) => {
    const n = i + 1;
    const status: StepView['status'] = failedAt === 0 || n < failedAt ? 'pass' : n === failedAt ? 'fail' : 'skip';
    return {
      n, title: s.title, what: whatFor(s.name, s.what, p, r.details), status,
      ...(!r.ok && n === failedAt ? { error: `${r.message} [${r.code}]` } : {}),
      facts: factsFor(n, p, r.details),
    };
  });
}

/**
 * A step's explanation made true for this proof: the checksum step names the
 * input mode; the inclusion step names the tree size and the path length, and
 * mentions the one-leaf case only for a tree of size 1.
 */
export function whatFor(name: (typeof PROOF_STEPS)[number], generic: string, p: ParsedInputs, d: ProofDetails): string {
  if (name === 'checksum') {
    return p.message !== undefined ? 'message = the given hash; checksum = SHA-256(message)' : 'message = SHA-256(data); checksum = SHA-256(message)';
  }
  if (name === 'inclusion') {
    const size = d.treeSize;
    if (size === 1n) return 'a tree of size 1: the leaf hash itself must equal the signed root hash (the audit path is empty)';
    const n = d.inclusionPath.length;
    return `the leaf hash and the audit path (${n} hash${n === 1 ? '' : 'es'}) lead to the signed root hash of the tree of size ${size}`;
  }
  return generic;
}

/** How each cosignature verdict of the SDK reads on the page. */
const COSIGNATURE_STATUS: Record<string, string> = { verified: 'verified', invalid: 'INVALID signature (counts as missing)', 'unknown-witness': 'ignored: not a witness of this policy' };

const yesNo = (v: boolean | undefined, yes: string, no: string): string => (v === undefined ? 'not checked' : v ? yes : no);

function factsFor(n: number, p: ParsedInputs, d: ProofDetails): Array<[string, string]> {
  switch (n) {
    case 1: return [
      ['input', p.data !== undefined ? `data, ${p.data.length} bytes` : 'the hash SHA-256(data), given directly'],
      ['message', d.message ? toHex(d.message) : '–'],
      ['checksum', d.checksum ? toHex(d.checksum) : '–'],
    ];
    case 2: return [
      ['leaf key hash (proof)', d.submitterKeyHash],
      ...p.keys.map((k, i): [string, string] => [`given key ${i + 1} hash`, `${toHex(keyHash(k))}${d.submitterKey && toHex(d.submitterKey) === toHex(k) ? '  ← matches' : ''}`]),
    ];
    case 3: return [
      ['submitter public key', d.submitterKey ? toHex(d.submitterKey) : d.message === undefined ? 'not checked' : 'none matched'],
      ['leaf signature', toHex(p.proof.leaf.signature)],
      ['result', yesNo(d.leafSignatureValid, 'valid', 'INVALID')],
    ];
    case 4: return [
      ['log key hash (proof)', d.logKeyHash],
      ['log in policy', d.log ? `yes — line ${d.log.line}${d.log.url ? `, ${d.log.url}` : ''}` : d.message === undefined ? 'not checked' : 'no'],
      ['tree head', `size ${d.treeSize}, root ${d.rootHash}`],
      ['log signature', yesNo(d.logSignatureValid, 'valid', 'INVALID')],
    ];
    case 5: {
      const rows: Array<[string, string]> = d.cosignatures.map((c) => [
        c.witness ? `witness ${c.witness.name}` : 'unknown witness',
        `${COSIGNATURE_STATUS[c.status]} — key hash ${c.keyHashHex.slice(0, 16)}…, time ${new Date(Number(c.cosignature.timestamp) * 1000).toISOString()}`,
      ]);
      // No verdicts: the proof has no cosignatures, or they were not checked (the log is not in the policy).
      const inProof = p.proof.treeHead.cosignatures.length;
      if (rows.length === 0) rows.push(['cosignatures', inProof === 0 ? 'none in the proof' : `not checked (${inProof} in the proof)`]);
      rows.push(['quorum', yesNo(d.quorum, 'holds', 'does NOT hold')]);
      return rows;
    }
    default: return [
      ['leaf index / tree size', `${d.leafIndex} / ${d.treeSize}`],
      ['leaf hash', d.leafHash ?? '–'],
      ...d.inclusionPath.map((h, i): [string, string] => [`path hash ${i + 1}`, h]),
      ['computed root', d.computedRoot ?? 'the path is malformed'],
      ['signed root', d.rootHash],
    ];
  }
}
