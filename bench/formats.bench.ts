/**
 * Parse/serialize throughput of the Sigsum wire formats (strict, typed errors,
 * Go's verdicts) against a non-validating baseline measured in the same run:
 * split lines, cut at '=', decode with Node's native `Buffer.from(hex|base64)`
 * and no checks at all. The ratio is the price of strictness.
 * - get-tree-head body with 3 cosignatures;
 * - get-leaves body with 512 leaves (log-go's max-range), parse and serialize;
 * - add-checkpoint request with a 10-hash proof and 3 foreign signature lines.
 * Run: npx tsx bench/formats.bench.ts
 */
import {
  SeedSigner,
  cosignTreeHead,
  keyHash,
  parseAddCheckpointRequest,
  parseCosignedTreeHeadBody,
  parseLeavesBody,
  serializeAddCheckpointRequest,
  serializeCosignedTreeHead,
  serializeLeaves,
  signSigsumCheckpoint,
  signTreeHead,
  toBase64,
  type Leaf,
} from '../sdk/src/index.js';
import {
  AsciiWriter,
} from '../sdk/src/internal.js';

const MS = Number(process.env.BENCH_MS ?? '700');

function measure(fn: () => unknown): number {
  const warm = performance.now() + 150;
  while (performance.now() < warm) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function report(name: string, ours: number, base: number): void {
  const f = (r: number): string => Math.round(r).toLocaleString('en-US').padStart(10);
  console.log(`  ${name.padEnd(34)} ours ${f(ours)} /s   baseline ${f(base)} /s   ratio ${(ours / base).toFixed(2)}x`);
}

/** The non-validating baseline: every line cut at '=', fields split on ' ', hex decoded natively. */
function naiveAscii(body: string): Buffer[][] {
  return body
    .slice(0, -1)
    .split('\n')
    .map((l) => l.slice(l.indexOf('=') + 1).split(' ').map((v) => Buffer.from(v, 'hex')));
}

const b = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const log = new SeedSigner(b(1));
const th = { size: 123456789n, rootHash: b(2) };
const sth = await signTreeHead(log, th);
const cosigs = await Promise.all([3, 4, 5].map((i) => cosignTreeHead(new SeedSigner(b(i)), th, keyHash(log.publicKey), 1700000000n + BigInt(i))));
const gth = serializeCosignedTreeHead({ ...sth, cosignatures: cosigs });

const leaves: Leaf[] = Array.from({ length: 512 }, (_, i) => ({ checksum: b(i & 255), signature: new Uint8Array(64).fill(7), keyHash: b(9) }));
const leavesBody = serializeLeaves(leaves);

const cp = await signSigsumCheckpoint(log, th);
const foreign = Array.from({ length: 3 }, (_, i) => `\u2014 foreign${i}.example ${toBase64(new Uint8Array(68).fill(i))}\n`).join('');
const addCp = serializeAddCheckpointRequest({ oldSize: 1000n, proof: Array.from({ length: 10 }, (_, i) => b(i)), checkpoint: cp }) + foreign;

console.log(`formats (each ~${MS} ms; baseline = non-validating split + Buffer.from decode)`);
report('get-tree-head parse (3 cosigs)', measure(() => parseCosignedTreeHeadBody(gth)), measure(() => naiveAscii(gth)));
report('get-leaves parse (512 leaves)', measure(() => parseLeavesBody(leavesBody, { maxCount: 512 })), measure(() => naiveAscii(leavesBody)));
report(
  'get-leaves serialize (512 leaves)',
  measure(() => serializeLeaves(leaves)),
  measure(() => leaves.map((l) => `leaf=${Buffer.from(l.checksum).toString('hex')} ${Buffer.from(l.signature).toString('hex')} ${Buffer.from(l.keyHash).toString('hex')}\n`).join('')),
);
report(
  'add-checkpoint parse (10 proof hashes)',
  measure(() => parseAddCheckpointRequest(addCp)),
  measure(() => addCp.split('\n').map((l) => Buffer.from(l.slice(l.lastIndexOf(' ') + 1), 'base64'))),
);
// Keep the writer honest: the same bytes come out as went in.
if (new AsciiWriter().line('size', th.size).toString() !== 'size=123456789\n') throw new Error('writer mismatch');
