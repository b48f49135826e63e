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
const ROUNDS = 7;

type Op = () => unknown | Promise<unknown>;

async function timeRound(op: Op, ms: number, batch: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    await op();
    n += batch;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Measure contenders in interleaved rounds (the machine is shared, so load
 * drifts; interleaving exposes every contender to the same drift) and report
 * each one's median rate. The first contender is the baseline.
 */
async function compare(title: string, contenders: [name: string, op: Op, batch?: number][]): Promise<number[]> {
  console.log(title);
  for (const [, op] of contenders) {
    const w = performance.now();
    while (performance.now() - w < 100) await op();
  }
  const rates: number[][] = contenders.map(() => []);
  const ms = (SECONDS * 1000) / ROUNDS;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < contenders.length; i++) rates[i]!.push(await timeRound(contenders[i]![1], ms, contenders[i]![2] ?? 1));
  }
  const med = rates.map(median);
  const base = med[0]!;
  contenders.forEach(([name], i) => {
    const tail = i === 0 ? '(baseline)' : `${(med[i]! / base).toFixed(2)}x baseline`;
    console.log(`  ${name.padEnd(44)} ${fmt(med[i]!).padStart(12)} /s   ${tail}`);
  });
  return med;
}

function fmt(r: number): string {
  return r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1);
}

const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');

async function ed25519(): Promise<void> {
  const seed = sha256(new Uint8Array([1]));
  const signer = new SeedSigner(seed);
  const msg = new Uint8Array(100).fill(7);
  const sig = signer.signSync(msg);
  const pub = createPublicKey({ key: Buffer.concat([SPKI, signer.publicKey]), format: 'der', type: 'spki' });
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' });
  if (!nodeVerify(null, msg, pub, sig)) throw new Error('baseline does not verify');
  const v = await compare(`Ed25519 verify, 100-byte message (verify() backend: ${await ed25519Backend()})`, [
    ['node:crypto.verify, prepared KeyObject', () => nodeVerify(null, msg, pub, sig)],
    ['verifyWebCrypto, cached key', () => verifyWebCrypto(signer.publicKey, msg, sig)],
    ['verifyWebCrypto, key imported every call', () => {
      clearEd25519KeyCache();
      return verifyWebCrypto(signer.publicKey, msg, sig);
    }],
    ['verifyNoble (pure JS, Go rules)', () => verifyNobleSync(signer.publicKey, msg, sig)],
  ]);
  console.log(`  key cache speed-up ${(v[1]! / v[2]!).toFixed(2)}x; WebCrypto / noble ${(v[1]! / v[3]!).toFixed(1)}x`);
  const s = await compare('Ed25519 sign, 100-byte message', [
    ['node:crypto.sign, prepared KeyObject', () => nodeSign(null, msg, priv)],
    ['SeedSigner.sign (WebCrypto)', () => signer.sign(msg)],
    ['SeedSigner.signSync (noble)', () => signer.signSync(msg)],
  ]);
  console.log(`  WebCrypto / noble signing ${(s[1]! / s[2]!).toFixed(1)}x`);
}

async function merkle(): Promise<void> {
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
  await compare('Merkle: depth-20 inclusion proof verification', [
    ['createHash fold, no checks', nativeFold],
    ['verifyInclusion', () => verifyInclusion(leaf, index, size, path, root)],
  ]);

  const leaves = Array.from({ length: 4096 }, (_, i) => hashLeaf(new Uint8Array([i & 255, i >> 8])));
  await compare('Merkle: appending 4096 leaves (rate per leaf)', [
    ['one createHash node hash per leaf', () => {
      let h: Uint8Array = leaves[0]!;
      for (let i = 1; i < leaves.length; i++) h = createHash('sha256').update(prefix).update(h).update(leaves[i]!).digest();
    }, leaves.length],
    ['CompactRange.append', () => {
      const cr = new CompactRange();
      for (const l of leaves) cr.append(l);
    }, leaves.length],
  ]);
}

console.log(`node ${process.version}, ~${SECONDS}s per contender in ${ROUNDS} interleaved rounds, medians`);
await ed25519();
await merkle();
