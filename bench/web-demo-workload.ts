/**
 * The workload of bench/web-demo.bench.ts, run unchanged in Node and in
 * Chromium: verify one Sigsum proof over and over with a policy parsed once.
 * The SDK is passed in so each side uses its own build of the same source.
 */
type Sdk = typeof import('@sigsum-kit/sdk');

/** The proof, policy, key and data of one verification (exact file contents; data in hex). */
export interface VerifyInput {
  proof: string;
  policy: string;
  keyFile: string;
  dataHex: string;
}

/** Best-of-rounds throughput in proofs/s, one at a time and with `concurrent` in flight. */
export interface VerifyFigures {
  sequential: number;
  concurrent: number;
  backend: string;
}

/** Verify `input` repeatedly for `rounds` rounds of `roundMs` ms each; fails if the proof does not verify. */
export async function verifyWorkload(sdk: Sdk, input: VerifyInput, rounds: number, roundMs: number, concurrent: number): Promise<VerifyFigures> {
  const policy = sdk.parsePolicy(input.policy);
  const proof = sdk.parseProof(input.proof);
  const keys = sdk.parseOpenSshPublicKeys(input.keyFile).map((k) => k.publicKey);
  const data = sdk.fromHex(input.dataHex);
  const once = async (): Promise<void> => {
    const r = await sdk.verifyProof(proof, { data, submitterKeys: keys, policy });
    if (!r.ok) throw new Error(`benchmark proof does not verify: step ${r.step}: ${r.message}`);
  };
  const measure = async (batch: number): Promise<number> => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < roundMs) {
      await Promise.all(Array.from({ length: batch }, once));
      n += batch;
    }
    return (n * 1000) / (performance.now() - start);
  };
  await measure(1); // warm-up: key import caches, JIT
  let sequential = 0;
  let parallel = 0;
  for (let i = 0; i < rounds; i++) {
    sequential = Math.max(sequential, await measure(1));
    parallel = Math.max(parallel, await measure(concurrent));
  }
  return { sequential, concurrent: parallel, backend: await sdk.ed25519Backend() };
}
