/**
 * Offline verification of a Sigsum proof in the six steps of sigsum-go
 * doc/sigsum-proof.md, with a result that names the failing step and carries
 * the details a user interface can show.
 */
import { SigsumError } from '../errors.js';
import { bytesEqual, concatBytes } from '../encoding/bytes.js';
import { toHex } from '../encoding/hex.js';
import { HASH_SIZE } from '../crypto/sha256.js';
import { digest, syncSha256 } from '../crypto/digest.js';
import { PUBLIC_KEY_SIZE } from '../crypto/ed25519.js';
import { chosenVerifier } from '../crypto/chosen-verifier.js';
import { TREE_LEAF_NAMESPACE, namespacedMessage, verifyNamespaced } from '../crypto/namespace.js';
import { leafToBytes } from '../types/leaf.js';
import { rootFromInclusionProofAsync } from '../merkle/inclusion-async.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { verifyCosignedTreeHead, verifyCosignedTreeHeadSync, type CosignatureCheck } from '../policy/verify.js';
import type { SigsumProof } from './format.js';

/** The six verification steps, in order (index + 1 = step number). */
export const PROOF_STEPS = ['checksum', 'submitter', 'leaf-signature', 'log', 'cosignatures', 'inclusion'] as const;
/** Name of a verification step. */
export type ProofStepName = (typeof PROOF_STEPS)[number];

/** A submitter key: raw public key bytes, or an object carrying them (e.g. a parsed OpenSSH key). */
export type SubmitterKey =
  | Uint8Array
  | {
      /** The raw 32-byte Ed25519 public key (e.g. an OpenSSH key from parseOpenSshPublicKeys). */
      readonly publicKey: Uint8Array;
    };

/** What was signed, and the keys and policy to check against. Give exactly one of `data` or `message`. */
export type VerifyProofOptions = {
  /** Public keys of the accepted submitters. */
  readonly submitterKeys: readonly SubmitterKey[];
  /** The trust policy (parse once and reuse). */
  readonly policy: Policy;
} & (
  | {
      /** The logged data; the message is SHA-256(data) (what `sigsum-submit` signs by default). */
      readonly data: Uint8Array;
      /** Not with `data`. */
      readonly message?: undefined;
    }
  | {
      /** The 32-byte message itself (`--raw-hash`). */
      readonly message: Uint8Array;
      /** Not with `message`. */
      readonly data?: undefined;
    }
);

/** Everything learned while verifying; fields are filled as far as verification got. */
export interface ProofDetails {
  /** The 32-byte message (SHA-256 of the data, or given). */
  readonly message: Uint8Array | undefined;
  /** checksum = SHA-256(message). */
  readonly checksum: Uint8Array | undefined;
  /** The leaf's submitter key hash (hex). */
  readonly submitterKeyHash: string;
  /** The matching submitter public key, if one matched. */
  readonly submitterKey: Uint8Array | undefined;
  /** Whether the leaf signature verified (undefined if not checked). */
  readonly leafSignatureValid: boolean | undefined;
  /** The log's key hash (hex) named by the proof. */
  readonly logKeyHash: string;
  /** The policy's log, if known. */
  readonly log: PolicyLog | undefined;
  /** Whether the log signature verified (undefined if not checked). */
  readonly logSignatureValid: boolean | undefined;
  /** Every cosignature with its verdict (empty if not checked). */
  readonly cosignatures: readonly CosignatureCheck[];
  /** Whether the policy's quorum holds (undefined if not checked). */
  readonly quorum: boolean | undefined;
  /** Tree size of the tree head. */
  readonly treeSize: bigint;
  /** Root hash of the tree head (hex). */
  readonly rootHash: string;
  /** Leaf index of the inclusion proof. */
  readonly leafIndex: bigint;
  /** Inclusion path (hex), leaf to root. */
  readonly inclusionPath: readonly string[];
  /** RFC 6962 hash of the reconstructed leaf (hex). */
  readonly leafHash: string | undefined;
  /** Root computed from the leaf hash and the path (hex), if the path was well formed. */
  readonly computedRoot: string | undefined;
}

/** Successful verification. */
export interface ProofVerified {
  /** Every step passed. */
  readonly ok: true;
  /** Details of every step. */
  readonly details: ProofDetails;
}

/** Failed verification: the first step that failed. */
export interface ProofRejected {
  /** A step failed. */
  readonly ok: false;
  /** Step number 1..6 (see {@link PROOF_STEPS}). */
  readonly step: 1 | 2 | 3 | 4 | 5 | 6;
  /** Step name. */
  readonly stepName: ProofStepName;
  /** Stable error code, e.g. `proof.leaf-signature`, `inclusion.root-mismatch`. */
  readonly code: string;
  /** Human-readable reason. */
  readonly message: string;
  /** What was learned up to (and where cheap, beyond) the failing step. */
  readonly details: ProofDetails;
}

/** Outcome of {@link verifyProof}. */
export type ProofVerification = ProofVerified | ProofRejected;

// RFC 6962 leaf hash prefix.
const LEAF_PREFIX = new Uint8Array(1);

function rawKey(k: SubmitterKey): Uint8Array {
  return k instanceof Uint8Array ? k : k.publicKey;
}

/**
 * Verify a parsed proof in the six steps of the proof spec:
 * (1) checksum = SHA-256(message), message = SHA-256(data) unless given;
 * (2) the leaf key hash equals the hash of a given submitter key;
 * (3) the leaf signature over the checksum;
 * (4) the log is in the policy and its tree head signature is valid;
 * (5) cosignatures of the policy's witnesses satisfy the quorum (unknown
 *     witnesses are ignored, invalid ones only count as missing);
 * (6) the inclusion proof leads from the leaf hash to the root (size 1: the
 *     leaf hash is the root).
 * All signatures are verified concurrently (with Node's native verifier, in
 * one synchronous pass); the result reports the first failing step in order.
 * Never throws for bad proofs or keys.
 */
export async function verifyProof(proof: SigsumProof, options: VerifyProofOptions): Promise<ProofVerification> {
  const th = proof.treeHead;
  const inclusion = proof.inclusion;
  // Filled in as verification proceeds; returned with the verdict.
  const d: { -readonly [K in keyof ProofDetails]: ProofDetails[K] } = {
    message: undefined,
    checksum: undefined,
    submitterKeyHash: toHex(proof.leaf.keyHash),
    submitterKey: undefined,
    leafSignatureValid: undefined,
    logKeyHash: toHex(proof.logKeyHash),
    log: undefined,
    logSignatureValid: undefined,
    cosignatures: [],
    quorum: undefined,
    treeSize: th.size,
    rootHash: toHex(th.rootHash),
    leafIndex: inclusion.leafIndex,
    inclusionPath: inclusion.path.map(toHex),
    leafHash: undefined,
    computedRoot: undefined,
  };
  const reject = (step: ProofRejected['step'], code: string, message: string): ProofRejected => ({ ok: false, step, stepName: PROOF_STEPS[step - 1]!, code, message, details: d });
  // Where there is a synchronous hash (Node) it is called directly, and once
  // the native Ed25519 verifier is chosen, every signature is checked in one
  // synchronous pass: a promise per hash and per signature costs about as
  // much as the rest of the JavaScript work on that path.
  const hash = syncSha256();
  const sync = hash && chosenVerifier.sync;

  // Step 1: checksum.
  const { data, message: given } = options;
  let message: Uint8Array;
  if (data !== undefined) {
    if (!(data instanceof Uint8Array)) return reject(1, 'proof.input', 'data must be a Uint8Array');
    message = hash ? hash(data) : await digest(data);
  } else if (given !== undefined) {
    if (!(given instanceof Uint8Array) || given.length !== HASH_SIZE) return reject(1, 'proof.message-size', `message must be ${HASH_SIZE} bytes`);
    message = given;
  } else return reject(1, 'proof.input', 'give either data or message');
  const checksum = hash ? hash(message) : await digest(message);
  d.message = message;
  d.checksum = checksum;

  // Step 2: submitter key by bitwise-equal key hash (keys of the wrong size are skipped).
  const keys = options.submitterKeys.map(rawKey).filter((k) => k instanceof Uint8Array && k.length === PUBLIC_KEY_SIZE);
  const hashes = hash ? keys.map(hash) : await Promise.all(keys.map(digest));
  const submitterKey = keys.find((_, i) => bytesEqual(hashes[i]!, proof.leaf.keyHash));
  d.submitterKey = submitterKey;

  // Step 6 is only hashing; do it up front so the details are complete.
  const leaf = leafToBytes({ checksum, signature: proof.leaf.signature, keyHash: proof.leaf.keyHash });
  const leafBytes = concatBytes(LEAF_PREFIX, leaf);
  const leafHash = hash ? hash(leafBytes) : await digest(leafBytes);
  d.leafHash = toHex(leafHash);
  let inclusionError: SigsumError | undefined;
  try {
    d.computedRoot = toHex(await rootFromInclusionProofAsync(leafHash, inclusion.leafIndex, th.size, inclusion.path, hash));
  } catch (e) {
    if (!(e instanceof SigsumError)) throw e;
    inclusionError = e;
  }

  // Steps 3-5: all signatures at once.
  const [leafOk, cth] = sync
    ? [submitterKey && sync(submitterKey, namespacedMessage(TREE_LEAF_NAMESPACE, checksum), proof.leaf.signature), verifyCosignedTreeHeadSync(options.policy, proof.logKeyHash, th, sync)]
    : await Promise.all([
        submitterKey && verifyNamespaced(submitterKey, TREE_LEAF_NAMESPACE, checksum, proof.leaf.signature),
        verifyCosignedTreeHead(options.policy, proof.logKeyHash, th),
      ]);
  const failure = cth.failure;
  const logChecked = failure !== 'unknown-log' && failure !== 'duplicate-cosignature';
  d.leafSignatureValid = leafOk;
  d.log = cth.log;
  d.logSignatureValid = logChecked ? cth.logSignatureValid : undefined;
  d.cosignatures = cth.cosignatures;
  d.quorum = logChecked && failure !== 'log-signature' ? cth.quorum : undefined;

  if (!submitterKey) return reject(2, 'proof.unknown-submitter', `leaf key hash ${d.submitterKeyHash} matches none of the ${options.submitterKeys.length} submitter keys`);
  if (!leafOk) return reject(3, 'proof.leaf-signature', 'leaf signature is not valid for this message and submitter key');
  if (failure === 'unknown-log') return reject(4, 'proof.unknown-log', `log ${d.logKeyHash} is not in the policy`);
  if (failure === 'log-signature') return reject(4, 'proof.log-signature', 'invalid log signature on the tree head');
  if (failure !== undefined) return reject(5, `proof.${failure}`, cth.message!);
  if (inclusionError !== undefined) return reject(6, inclusionError.code, inclusionError.message);
  if (d.computedRoot !== d.rootHash) {
    return reject(6, 'inclusion.root-mismatch', th.size === 1n ? 'leaf hash is not the root hash of the size-1 tree' : 'inclusion path does not lead to the root hash');
  }
  return { ok: true, details: d };
}

/** {@link verifyProof} for the logged data (message = SHA-256(data)). */
export function verifyProofForData(proof: SigsumProof, data: Uint8Array, submitterKeys: readonly SubmitterKey[], policy: Policy): Promise<ProofVerification> {
  return verifyProof(proof, { data, submitterKeys, policy });
}

/** {@link verifyProof} for a 32-byte message given directly (`--raw-hash`). */
export function verifyProofForMessage(proof: SigsumProof, message: Uint8Array, submitterKeys: readonly SubmitterKey[], policy: Policy): Promise<ProofVerification> {
  return verifyProof(proof, { message, submitterKeys, policy });
}
