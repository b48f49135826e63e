/**
 * Shared set-up for the witness and cosigning tests: a test log (in-memory
 * tree + Ed25519 key) that signs checkpoints, and raw add-checkpoint bodies
 * built by hand so tests can send exactly the bytes they mean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryTree,
  SeedSigner,
  concatBytes,
  hashLeaf,
  keyHash,
  sha256,
  signTreeHead,
  toBase64,
  checkpointText,
  treeHeadOriginOfKey,
  utf8,
  type SignedTreeHead,
} from '@sigsum-kit/sdk';

/** Deterministic test key from a label. */
export function testSigner(label: string): SeedSigner {
  return new SeedSigner(sha256(utf8(`sigsum-kit witness tests: ${label}`)));
}

/** A log with an in-memory tree that signs checkpoints of any size it has. */
export class TestLog {
  readonly signer: SeedSigner;
  readonly tree = new MemoryTree();
  /** `salt` changes the leaves, not the key: a fork of the log with the same label. */
  constructor(label = 'log', readonly salt = '') {
    this.signer = testSigner(label);
  }
  get publicKey(): Uint8Array {
    return this.signer.publicKey;
  }
  get keyHash(): Uint8Array {
    return keyHash(this.signer.publicKey);
  }
  get origin(): string {
    return treeHeadOriginOfKey(this.signer.publicKey);
  }
  /** Grow the tree to `size` leaves. */
  growTo(size: number): void {
    while (this.tree.size < size) this.tree.append(hashLeaf(utf8(`leaf ${this.tree.size}${this.salt}`)));
  }
  /** The signed tree head of size `size` (grows the tree if needed). */
  async sth(size: number): Promise<SignedTreeHead> {
    this.growTo(size);
    return signTreeHead(this.signer, { size: BigInt(size), rootHash: this.tree.root(size) });
  }
  /** Consistency proof between two sizes. */
  proof(oldSize: number, newSize: number): Uint8Array[] {
    if (oldSize === 0 || oldSize === newSize) return [];
    return this.tree.consistencyProof(oldSize, newSize);
  }
  /** The log's signed checkpoint note for `sth`. */
  note(sth: SignedTreeHead): string {
    const origin = this.origin;
    const id = sha256(concatBytes(utf8(origin), Uint8Array.of(0x0a, 0x01), this.publicKey)).subarray(0, 4);
    return `${checkpointText(sth, this.keyHash)}\n\u2014 ${origin} ${toBase64(concatBytes(id, sth.signature))}\n`;
  }
  /** A complete add-checkpoint body from `oldSize` to `newSize`. */
  async body(oldSize: number, newSize: number): Promise<string> {
    const sth = await this.sth(newSize);
    return addCheckpointBody(oldSize, this.proof(oldSize, newSize), this.note(sth));
  }
}

/** `old N`, proof lines, an empty line, then the note. */
export function addCheckpointBody(oldSize: number | bigint, proof: readonly Uint8Array[], note: string): string {
  return `old ${oldSize}\n${proof.map((h) => `${toBase64(h)}\n`).join('')}\n${note}`;
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix = 'sigsum-witness-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
