// The verdict of each proof case through parsePolicy, parseProof and
// verifyProof only: the code of the verifier bundle test, run by that bundle
// in the browser and by the SDK source in Node.
import type { SigsumError, parsePolicy, parseProof, verifyProof } from '@sigsum-kit/sdk';

/** The SDK functions the verifier uses (passed in, so the browser side bundles nothing else). */
export interface VerifierSdk {
  parsePolicy: typeof parsePolicy;
  parseProof: typeof parseProof;
  verifyProof: typeof verifyProof;
  SigsumError: typeof SigsumError;
}

/** One case: the proof and policy texts, the data and the submitter keys (hex). */
export interface ProofInput {
  name: string;
  proof: string;
  policy: string;
  data: string;
  keys: string[];
}

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));

/** `name: valid`, `name: proof <code>`, `name: policy <code>` or `name: step <n> <code>` for each case. */
export async function proofVerdicts(sdk: VerifierSdk, cases: readonly ProofInput[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of cases) {
    let verdict: string;
    try {
      const proof = stage('proof', () => sdk.parseProof(c.proof));
      const policy = stage('policy', () => sdk.parsePolicy(c.policy));
      const r = await sdk.verifyProof(proof, { data: bytes(c.data), submitterKeys: c.keys.map(bytes), policy });
      verdict = r.ok ? 'valid' : `step ${r.step} ${r.code}`;
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('stage ')) throw e;
      verdict = e.message.slice(6);
    }
    out.push(`${c.name}: ${verdict}`);
  }
  return out;

  function stage<T>(name: string, run: () => T): T {
    try {
      return run();
    } catch (e) {
      if (e instanceof sdk.SigsumError) throw new Error(`stage ${name} ${e.code}`);
      throw e;
    }
  }
}
