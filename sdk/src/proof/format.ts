/**
 * The Sigsum proof file (sigsum-go doc/sigsum-proof.md): version 2 is read and
 * written, version 1 (with a 2-byte short checksum in the leaf line) is read.
 *
 * ```
 * version=2
 * log=<log key hash>
 * leaf=<submitter key hash> <leaf signature>
 *
 * size=<n>
 * root_hash=<hash>
 * signature=<log signature>
 * cosignature=<witness key hash> <time> <signature>   (0 or more)
 *
 * leaf_index=<i>                                      (block omitted when size = 1)
 * node_hash=<hash>                                    (1..63)
 * ```
 */
import { ParseError } from '../errors.js';
import { AsciiReader, AsciiWriter, type AsciiReaderOptions } from '../encoding/ascii.js';
import { fromHex } from '../encoding/hex.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import { SIGNATURE_SIZE } from '../crypto/ed25519.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import { readCosignatures, readInclusionProof, readSignedTreeHead, writeCosignatures, writeInclusionProof, writeSignedTreeHead, MAX_PROOF_HASHES, type InclusionProof } from '../types/bodies.js';

/** The proof format version this SDK writes. */
export const PROOF_VERSION = 2;
/** Size of the version 1 short checksum (first bytes of the checksum). */
export const SHORT_CHECKSUM_SIZE = 2;

/** The leaf of a proof: the logged leaf without its checksum (derived from the message). */
export interface ProofLeaf {
  /** SHA-256 of the submitter's public key. */
  readonly keyHash: Uint8Array;
  /** Submitter's signature over the checksum (namespace `sigsum.org/v1/tree-leaf`). */
  readonly signature: Uint8Array;
  /** Version 1 only: the 2-byte short checksum (length-checked only, as sigsum-go does). */
  readonly shortChecksum?: Uint8Array;
}

/** A parsed Sigsum proof. */
export interface SigsumProof {
  /** Format version that was read (1 or 2). Serialization always writes version 2. */
  readonly version: 1 | 2;
  /** Key hash of the log. */
  readonly logKeyHash: Uint8Array;
  /** The leaf without checksum. */
  readonly leaf: ProofLeaf;
  /** The cosigned tree head (size ≥ 1). */
  readonly treeHead: CosignedTreeHead;
  /** The inclusion proof; for size 1 it is `{ leafIndex: 0n, path: [] }`. */
  readonly inclusion: InclusionProof;
}

/**
 * Parse a proof file with sigsum-go's verdicts: lines end in LF (a CR is part
 * of the line and fails), the last line must be terminated, blocks are
 * separated by exactly one empty line, size 0 is invalid, size 1 has no
 * inclusion block, otherwise 1..63 node hashes; duplicate cosignature key
 * hashes are rejected. Hex is case-insensitive.
 * @throws ParseError with `where` = `line N (key)` where applicable.
 */
export function parseProof(text: string | Uint8Array, options?: AsciiReaderOptions): SigsumProof {
  const r = new AsciiReader(text, options);
  const versionWhere = r.whereNext('version');
  const version = r.uint63('version');
  if (version !== 1n && version !== 2n) throw new ParseError('proof.version', `unknown version ${version}, want 1 or 2`, versionWhere);
  const logKeyHash = r.hex('log', HASH_SIZE);
  const leafWhere = r.whereNext('leaf');
  let leaf: ProofLeaf;
  if (version === 2n) {
    const [kh, sig] = r.fields('leaf', 2) as [string, string];
    leaf = { keyHash: fromHex(kh, `${leafWhere} key hash`, HASH_SIZE), signature: fromHex(sig, `${leafWhere} signature`, SIGNATURE_SIZE) };
  } else {
    const [short, kh, sig] = r.fields('leaf', 3) as [string, string, string];
    const shortChecksum = fromHex(short, `${leafWhere} short checksum`);
    if (shortChecksum.length !== SHORT_CHECKSUM_SIZE) {
      throw new ParseError('proof.short-checksum', `short checksum has ${shortChecksum.length} bytes, want ${SHORT_CHECKSUM_SIZE}`, leafWhere);
    }
    leaf = { keyHash: fromHex(kh, `${leafWhere} key hash`, HASH_SIZE), signature: fromHex(sig, `${leafWhere} signature`, SIGNATURE_SIZE), shortChecksum };
  }
  r.emptyLine();
  const sizeWhere = r.whereNext('size');
  const sth = readSignedTreeHead(r);
  const cosignatures = readCosignatures(r, { stopAtEmptyLine: true });
  const treeHead: CosignedTreeHead = { ...sth, cosignatures };
  const separator = r.atEmptyLine();
  if (sth.size === 0n) throw new ParseError('proof.empty-tree', 'invalid tree: size 0', sizeWhere);
  let inclusion: InclusionProof;
  if (sth.size === 1n) {
    if (separator) throw new ParseError('proof.trailing-block', 'a proof for a tree of size 1 has no inclusion block', `line ${r.lineNumber}`);
    inclusion = { leafIndex: 0n, path: [] };
  } else {
    if (!separator) throw new ParseError('proof.missing-inclusion', 'missing inclusion proof block', `line ${r.lineNumber}`);
    r.emptyLine();
    inclusion = readInclusionProof(r);
  }
  r.end();
  return { version: version === 1n ? 1 : 2, logKeyHash, leaf, treeHead, inclusion };
}

/**
 * Serialize a proof as version 2, byte for byte as sigsum-go writes it
 * (cosignature lines sorted by witness key hash; no inclusion block when
 * size = 1). A version 1 proof is upgraded (the short checksum is dropped).
 * @throws TypeError for a size of 0, a size-1 proof with an inclusion path, a
 *   larger proof without one, or fields of the wrong length.
 */
export function serializeProof(proof: SigsumProof): string {
  const w = new AsciiWriter();
  checkLen(proof.logKeyHash, HASH_SIZE, 'log key hash');
  checkLen(proof.leaf.keyHash, HASH_SIZE, 'leaf key hash');
  checkLen(proof.leaf.signature, SIGNATURE_SIZE, 'leaf signature');
  w.line('version', BigInt(PROOF_VERSION)).line('log', proof.logKeyHash).line('leaf', proof.leaf.keyHash, proof.leaf.signature).emptyLine();
  const th = proof.treeHead;
  if (th.size < 1n) throw new TypeError('a proof needs a tree of size ≥ 1');
  writeCosignatures(writeSignedTreeHead(w, th), th.cosignatures);
  if (th.size === 1n) {
    if (proof.inclusion.path.length !== 0 || proof.inclusion.leafIndex !== 0n) throw new TypeError('a proof for size 1 has leaf index 0 and no inclusion path');
    return w.toString();
  }
  const n = proof.inclusion.path.length;
  if (n < 1 || n > MAX_PROOF_HASHES) throw new TypeError(`inclusion path must have 1..${MAX_PROOF_HASHES} hashes, got ${n}`);
  return writeInclusionProof(w.emptyLine(), proof.inclusion).toString();
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}
