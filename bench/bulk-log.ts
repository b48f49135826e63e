/**
 * A log database filled directly (storage + compact range, no HTTP and no
 * signature checks), for the benchmarks that need a large log: the read
 * benchmark, the memory figure of the write benchmark and the tiles benchmark.
 * Leaves are checksum ‖ signature ‖ key hash of made-up bytes: reads never
 * verify submitter signatures.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompactRange, SeedSigner, hashLeaf, keyHash, signTreeHead } from '@sigsum-kit/sdk';
import { generateKeyFiles } from '@sigsum-kit/sdk/node';
import { openSqliteStorage, type LeafRecord, type Storage } from '@sigsum-kit/reference-log';

const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

/** An open bench log: its storage, signer and the compact range of its tree. */
export interface BulkLog {
  storage: Storage;
  signer: SeedSigner;
  range: CompactRange;
  size: number;
}

/** Create `dir`/log.key(.pub) from `label` and an empty database in `dir`/data. */
export async function createBulkLog(dir: string, label: string): Promise<BulkLog> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const seed = sha(`${label} log key`);
  await generateKeyFiles(join(dir, 'log.key'), seed);
  const signer = new SeedSigner(seed);
  const storage = openSqliteStorage(join(dir, 'data', 'log.sqlite'));
  storage.setLogPublicKey(signer.publicKey);
  return { storage, signer, range: new CompactRange(), size: 0 };
}

/**
 * Append `n` leaves in transactions of 20,000 and publish a tree head
 * (no cosignatures) covering them. `onLeaf` sees each leaf hash.
 */
export async function appendBulkLeaves(log: BulkLog, n: number, label: string, onLeaf?: (index: number, leafHash: Uint8Array) => void): Promise<void> {
  const kh = keyHash(log.signer.publicKey);
  const end = log.size + n;
  for (let i = log.size; i < end; i += 20_000) {
    const recs: LeafRecord[] = [];
    const nodes = [];
    for (let j = i; j < Math.min(end, i + 20_000); j++) {
      const leaf = new Uint8Array(128);
      leaf.set(sha(`${label} ${j}`), 0);
      leaf.set(sha(`sig ${j}`), 32);
      leaf.set(kh, 96);
      const leafHash = hashLeaf(leaf);
      onLeaf?.(j, leafHash);
      recs.push({ leaf, leafHash });
      nodes.push(...log.range.append(leafHash));
    }
    log.storage.appendLeaves(recs, nodes);
  }
  log.size = end;
  const sth = await signTreeHead(log.signer, { size: BigInt(end), rootHash: log.range.root() });
  log.storage.saveTreeHead({ size: end, rootHash: sth.rootHash, signature: sth.signature, cosignatures: [], publishedAt: Date.now() });
}
