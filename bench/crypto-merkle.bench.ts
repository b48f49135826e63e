/**
 * Crypto and Merkle throughput, each against a native `node:crypto` baseline
 * measured in the same run:
 * - Ed25519 verify/s: WebCrypto (cached and uncached key import), the pure-JS
 *   (noble) path, `node:crypto.verify` with a prepared KeyObject (baseline);
 * - Ed25519 sign/s: SeedSigner.sign (WebCrypto) and signSync (noble) vs node:crypto.sign;
 * - depth-20 inclusion proof verification vs the same fold with createHash;
 * - CompactRange.append vs one createHash node hash per leaf.
 * Run: npx tsx bench/crypto-merkle.bench.ts
 */
import { createHash, createPublicKey, createPrivateKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { SeedSigner, clearEd25519KeyCache, ed25519Backend, sha256, verifyNobleSync, verifyWebCrypto } from '../sdk/src/crypto/index.js';
import { CompactRange, hashLeaf, rootFromInclusionProof, verifyInclusion } from '../sdk/src/merkle/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

async function rate(name: string, op: () => unknown | Promise<unknown>, batch = 1): Promise<number> {
  // Warm up, then count whole batches for SECONDS.
  const warm = performance.now();
  while (performance.now() - warm < 200) await op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < SECONDS * 1000) {
    await op();
    n += batch;
    t = performance.now();
  }
  const r = n / ((t - t0) / 1000);
  console.log(`  ${name.padEnd(46)} ${fmt(r).padStart(12)} /s`);
  return r;
}

function fmt(r: number): string {
  return r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1);
}

function ratio(label: string, ours: number, base: number): void {
  console.log(`  ratio ${label.padEnd(40)} ${(ours / base).toFixed(2)}x of baseline (${(base / ours).toFixed(2)}x slower)`);
}

const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');

async function ed25519(): Promise<void> {
  console.log(`Ed25519 (verify() backend: ${await ed25519Backend()})`);
  const seed = sha256(new Uint8Array([1]));
  const signer = new SeedSigner(seed);
  const msg = new Uint8Array(100).fill(7);
  const sig = signer.signSync(msg);
  const pub = createPublicKey({ key: Buffer.concat([SPKI, signer.publicKey]), format: 'der', type: 'spki' });
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' });
  if (!nodeVerify(null, msg, pub, sig)) throw new Error('baseline does not verify');

  const base = await rate('verify node:crypto (baseline)', () => nodeVerify(null, msg, pub, sig));
  const wc = await rate('verify WebCrypto, cached key', () => verifyWebCrypto(signer.publicKey, msg, sig));
  const wcCold = await rate('verify WebCrypto, key imported each time', () => {
    clearEd25519KeyCache();
    return verifyWebCrypto(signer.publicKey, msg, sig);
  });
  const noble = await rate('verify noble (Go rules)', () => verifyNobleSync(signer.publicKey, msg, sig));
  ratio('WebCrypto cached / node:crypto', wc, base);
  ratio('WebCrypto uncached / node:crypto', wcCold, base);
  ratio('noble / node:crypto', noble, base);
  console.log(`  key cache speed-up: ${(wc / wcCold).toFixed(2)}x; WebCrypto vs noble: ${(wc / noble).toFixed(1)}x`);

  const sbase = await rate('sign node:crypto (baseline)', () => nodeSign(null, msg, priv));
  const swc = await rate('sign SeedSigner.sign (WebCrypto)', () => signer.sign(msg));
  const snoble = await rate('sign SeedSigner.signSync (noble)', () => signer.signSync(msg));
  ratio('sign WebCrypto / node:crypto', swc, sbase);
  ratio('sign noble / node:crypto', snoble, sbase);
}

async function merkle(): Promise<void> {
  console.log('Merkle');
  const path = Array.from({ length: 20 }, (_, i) => sha256(new Uint8Array([i])));
  const leaf = hashLeaf(new Uint8Array([42]));
  const index = 0x5a5a5n;
  const size = 1n << 20n;
  const root = rootFromInclusionProof(leaf, index, size, path);
  const prefix = Buffer.from([1]);
  // Baseline: the same fold, hashing with node:crypto and no checks.
  const nativeFold = () => {
    let r: Uint8Array = leaf;
    let fn = Number(index);
    for (const p of path) {
      r = fn % 2 === 1 ? createHash('sha256').update(prefix).update(p).update(r).digest() : createHash('sha256').update(prefix).update(r).update(p).digest();
      fn = Math.floor(fn / 2);
    }
    if (Buffer.compare(r, root) !== 0) throw new Error('baseline fold mismatch');
  };
  const base = await rate('depth-20 inclusion, createHash fold (baseline)', nativeFold, 1);
  const ours = await rate('depth-20 verifyInclusion', () => verifyInclusion(leaf, index, size, path, root), 1);
  ratio('verifyInclusion / createHash fold', ours, base);

  const leaves = Array.from({ length: 4096 }, (_, i) => hashLeaf(new Uint8Array([i & 255, i >> 8])));
  const nodeBase = await rate('one createHash node hash per leaf (baseline)', () => {
    let h: Uint8Array = leaves[0]!;
    for (let i = 1; i < leaves.length; i++) h = createHash('sha256').update(prefix).update(h).update(leaves[i]!).digest();
  }, leaves.length);
  const app = await rate('CompactRange.append', () => {
    const cr = new CompactRange();
    for (const l of leaves) cr.append(l);
  }, leaves.length);
  ratio('append / createHash node hash', app, nodeBase);
}

console.log(`node ${process.version}, ${SECONDS}s per figure`);
await ed25519();
await merkle();
