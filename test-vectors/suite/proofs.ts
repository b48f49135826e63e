/**
 * sigsum-go proofs.json: every case runs the stages of
 * `sigsum-verify -k KEYFILE -p POLICY PROOF < DATA` through the SDK —
 * key file (`parseOpenSshPublicKeys`), proof (`parseProof`), policy
 * (`parsePolicy`), verification (`verifyProof` with the data) — and our first
 * failing stage must be Go's (and, for verification failures, Go's step and
 * cosignature counts). Valid proofs are also verified through the `message`
 * (raw hash) variant and again after re-serialization as version 2; the
 * unmutated version 2 proofs must serialize back byte for byte.
 */
import {
  SigsumError,
  fromHex,
  parseOpenSshPublicKeys,
  parsePolicy,
  parseProof,
  serializeProof,
  sha256,
  verifyProof,
  type ProofVerification,
} from '@sigsum-kit/sdk';
import { loadSigsumVectors, type ProofVector } from '@sigsum-kit/test-vectors';
import type { CaseResult } from './types.js';
import { result } from './types.js';

const FILE = 'proofs';

/** One case of proofs.json (the Go reference's proof-of-logging vectors). */
export type ProofCase = ProofVector;

/** The step of the proof spec that Go's verify error corresponds to. */
function goStep(goError: string): number | undefined {
  if (goError.startsWith('unknown leaf key hash')) return 2;
  if (goError.startsWith('leaf signature not valid')) return 3;
  if (goError.startsWith('unknown log') || goError.startsWith('invalid log signature')) return 4;
  if (goError.startsWith('not enough cosignatures')) return 5;
  if (goError.startsWith('invalid proof') || goError.startsWith('proof input is malformed')) return 6;
  return undefined;
}

class StageError extends Error {
  constructor(readonly stage: string, readonly detail: string) {
    super(detail);
  }
}

function stage<T>(name: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof SigsumError) throw new StageError(name, `${e.code}: ${e.message}`);
    throw new StageError('crash', String(e));
  }
}

/** Run every case of proofs.json. */
export async function checkProofs(): Promise<CaseResult[]> {
  const v = await loadSigsumVectors('proofs');
  const out: CaseResult[] = [];
  for (const c of v.cases) {
    const expected = c.expect === 'valid' ? 'valid' : `invalid:${c.stage}`;
    let got: string;
    let detail: string | undefined;
    let extraOk = true;
    try {
      const keys = stage('key-file', () => parseOpenSshPublicKeys(c.key_file));
      const proof = stage('proof-parse', () => parseProof(c.proof));
      const policy = stage('policy-parse', () => parsePolicy(c.policy));
      const data = fromHex(c.data);
      const r: ProofVerification = await verifyProof(proof, { data, submitterKeys: keys, policy });
      if (r.ok) {
        got = 'valid';
        // The raw-hash variant must agree, and the message is SHA-256(data).
        const raw = await verifyProof(proof, { message: fromHex(c.message), submitterKeys: keys, policy });
        const sameMessage = sha256(data).every((b, i) => b === fromHex(c.message)[i]);
        extraOk = raw.ok && sameMessage;
        if (!extraOk) detail = raw.ok ? 'message is not SHA-256(data)' : `raw-hash variant failed at step ${raw.step}: ${raw.message}`;
        // Any accepted proof, v1 included, re-serializes to a v2 proof that still verifies.
        const again2 = parseProof(serializeProof(proof));
        const reverify = await verifyProof(again2, { data, submitterKeys: keys, policy });
        if (!reverify.ok || serializeProof(again2) !== serializeProof(proof)) {
          extraOk = false;
          detail = `re-serialized proof: ${reverify.ok ? 'not idempotent' : reverify.message}`;
        }
        if (c.version === 2 && c.mutation === undefined) {
          const again = serializeProof(proof);
          if (again !== c.proof) {
            extraOk = false;
            detail = `serialization differs:\n${again}`;
          }
        }
      } else {
        got = 'invalid:verify';
        detail = `step ${r.step} (${r.stepName}) ${r.code}: ${r.message}`;
        // Same step as Go, and for quorum failures the same counts as Go's message.
        if (c.go_error !== undefined && c.stage === 'verify') {
          extraOk = goStep(c.go_error) === r.step;
          const m = /total: (\d+), verified: (\d+), failed to verify: (\d+)/.exec(c.go_error);
          if (m !== null) {
            const invalid = r.details.cosignatures.filter((x) => x.status === 'invalid').length;
            const verified = r.details.cosignatures.filter((x) => x.status === 'verified').length;
            extraOk &&= Number(m[1]) === proof.treeHead.cosignatures.length && Number(m[2]) === verified && Number(m[3]) === invalid;
          }
          if (!extraOk) detail += ` (Go: ${c.go_error})`;
        }
      }
    } catch (e) {
      if (!(e instanceof StageError)) throw e;
      got = e.stage === 'crash' ? 'crash' : `invalid:${e.stage}`;
      detail = e.detail;
    }
    out.push(result(FILE, c.name, expected, got, got === expected ? detail : `${detail} (Go: ${c.go_error ?? 'valid'})`, extraOk));
  }
  return out;
}
