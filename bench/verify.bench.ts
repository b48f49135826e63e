/**
 * Proof verification throughput: one proof (tree of 1024 leaves, 3
 * cosignatures, 2-of-3 policy parsed once and reused) verified over and over
 * with `verifyProof`, on the WebCrypto path (the default in Node) and on the
 * pure-JS noble path (a child process without WebCrypto), against the native
 * lower bound measured in the same run: the same five Ed25519 verifications
 * with node:crypto (keys imported once) plus the same SHA-256 work.
 *
 * Run: npx tsx bench/verify.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SIZE = 1024;
const INDEX = 777;
const REFERENCE_MS = 2; // FPF sigsum-ts verifyMessage, measured on this machine class (docs/ANCHORS)

async function setup() {
  const sdk = await import('@sigsum-kit/sdk');
  const { makeProof } = await import('../sdk/test/fixtures/make-proof.js');
  const f = await makeProof({ size: SIZE, index: INDEX, witnessCount: 3, threshold: 2, label: 'bench' });
  const text = sdk.serializeProof(f.proof);
  return { sdk, f, text, policy: sdk.parsePolicy(f.policyText), proof: sdk.parseProof(text) };
}

/** Run `fn` repeatedly for about `ms` milliseconds (after a warm-up); returns operations per second. */
async function measure(fn: () => Promise<unknown> | unknown, ms = 1500): Promise<number> {
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function sdkPath(): Promise<number> {
  const { sdk, f, policy, proof } = await setup();
  const opts = { data: f.data, submitterKeys: [f.submitter.publicKey], policy };
  const r = await sdk.verifyProof(proof, opts);
  if (!r.ok) throw new Error(`bench proof does not verify: ${r.message}`);
  return measure(async () => {
    const v = await sdk.verifyProof(proof, opts);
    if (!v.ok) throw new Error('verification failed');
  });
}

/** The same cryptographic work with node:crypto, synchronously: the floor for any JS verifier. */
async function lowerBound(): Promise<number> {
  const { sdk, f, proof } = await setup();
  const spki = (pk: Uint8Array) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pk]), format: 'der', type: 'spki' });
  const message = sdk.sha256(f.data);
  const checksum = sdk.sha256(message);
  const logKh = sdk.keyHash(f.log.publicKey);
  const th = proof.treeHead;
  // The five signed messages and their keys, exactly as verifyProof checks them.
  const jobs: [KeyObject, Uint8Array, Uint8Array][] = [
    [spki(f.submitter.publicKey), sdk.namespacedMessage(sdk.TREE_LEAF_NAMESPACE, checksum), proof.leaf.signature],
    [spki(f.log.publicKey), sdk.utf8(sdk.checkpointText(th, logKh)), th.signature],
    ...th.cosignatures.map((c, i) => [spki(f.witnesses[i]!.publicKey), sdk.utf8(sdk.cosignatureMessage(th, logKh, c.timestamp)), c.signature] as [KeyObject, Uint8Array, Uint8Array]),
  ];
  const path = proof.inclusion.path;
  const leafBytes = new Uint8Array(129);
  const node = new Uint8Array(65);
  return measure(() => {
    // SHA-256: message, checksum, submitter key hash, log key hash, leaf hash, one per path node.
    createHash('sha256').update(f.data).digest();
    createHash('sha256').update(message).digest();
    createHash('sha256').update(f.submitter.publicKey).digest();
    createHash('sha256').update(f.log.publicKey).digest();
    let h = createHash('sha256').update(leafBytes).digest();
    for (const p of path) {
      node.set(h, 1);
      node.set(p, 33);
      h = createHash('sha256').update(node).digest();
    }
    for (const [key, msg, sig] of jobs) if (!nodeVerify(null, msg, key, sig)) throw new Error('native verify failed');
  });
}

function fmt(opsPerSec: number): string {
  return `${opsPerSec.toFixed(0).padStart(6)} proofs/s  (${(1000 / opsPerSec).toFixed(3)} ms/proof)`;
}

async function main(): Promise<void> {
  if (process.env.SIGSUM_BENCH_CHILD === 'noble') {
    // Child: hide WebCrypto before the SDK loads, so its Ed25519 detection picks noble.
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    const ops = await sdkPath();
    const { sdk } = await setup();
    process.stdout.write(JSON.stringify({ ops, backend: await sdk.ed25519Backend() }));
    return;
  }
  const { sdk } = await setup();
  const backend = await sdk.ed25519Backend();
  const floor = await lowerBound();
  const web = await sdkPath();
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, SIGSUM_BENCH_CHILD: 'noble' },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`noble child failed: ${child.stderr}`);
  const noble = JSON.parse(child.stdout) as { ops: number; backend: string };

  console.log(`verifyProof: tree of ${SIZE}, path ${Math.log2(SIZE)} hashes, 3 cosignatures, 2-of-3 policy (parsed once)`);
  console.log(`  native lower bound (node:crypto)  ${fmt(floor)}`);
  console.log(`  SDK, ${backend.padEnd(9)} path          ${fmt(web)}   ${(floor / web).toFixed(2)}x the lower bound (target <= 1.5x)`);
  console.log(`  SDK, ${noble.backend.padEnd(9)} path          ${fmt(noble.ops)}   ${(floor / noble.ops).toFixed(2)}x the lower bound`);
  console.log(`  vs sigsum-ts reference ${REFERENCE_MS} ms/proof: ${(web * REFERENCE_MS / 1000).toFixed(1)}x faster (target >= 5x)`);
}

await main();
