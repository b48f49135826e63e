/**
 * Shared measuring helpers of the witness and PKCS#11 benchmarks: a timed
 * loop with warm-up, the ratio line, and the cosigning set-up both use.
 */
import { MemoryTree, hashLeaf, signTreeHead, utf8, type Signer } from '../sdk/src/index.js';
import type { createCosigner } from '../reference-log/src/cosigning/index.js';

/** Seconds per measurement (`BENCH_SECONDS`, default 1). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

/** Operations per second of `op` run back to back for SECONDS after a 200 ms warm-up; prints one line. */
export async function rate(name: string, op: () => unknown | Promise<unknown>, width = 56): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < 200) await op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < SECONDS * 1000) {
    await op();
    n++;
    t = performance.now();
  }
  const r = n / ((t - t0) / 1000);
  console.log(`  ${name.padEnd(width)} ${(r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1)).padStart(10)} /s  (${(1000 / r).toFixed(3)} ms)`);
  return r;
}

/** Prints `ours` as a multiple of the same-run baseline. */
export function ratio(label: string, ours: number, base: number, width = 50): void {
  console.log(`  ratio ${label.padEnd(width)} ${(ours / base).toFixed(2)}x of baseline`);
}

/** The 4,096-leaf tree whose heads the cosigning benchmarks sign. */
export function benchTree(): MemoryTree {
  return MemoryTree.fromLeafHashes(Array.from({ length: 1 << 12 }, (_, i) => hashLeaf(utf8(`leaf ${i}`))));
}

/**
 * One cosigning round per call: the log signs the head one leaf larger than
 * the last (staying at the end of the tree once there: witnesses never go
 * back) and the cosigner must reach its quorum.
 */
export function cosigningRound(log: Signer, cosigner: ReturnType<typeof createCosigner>, tree: MemoryTree, startSize: number): () => Promise<void> {
  let size = startSize;
  return async () => {
    size = Math.min(size + 1, tree.size);
    const sth = await signTreeHead(log, { size: BigInt(size), rootHash: tree.root(size) });
    const r = await cosigner.cosign(sth);
    if (!r.quorumMet) throw new Error(JSON.stringify(r.failures));
  };
}
