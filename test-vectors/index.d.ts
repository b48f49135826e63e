/**
 * Types of the shared vector files. Field names are the files' own (snake
 * case, hex strings, decimal strings for 64-bit values); `expect` is the Go
 * reference's verdict. Each file's `description` says how it was generated.
 */

/** Names of the sigsum-go vector files. */
export declare const sigsumVectorFiles: readonly ['ascii', 'keys', 'leaves', 'merkle', 'policies', 'proofs', 'tokens', 'tree-heads', 'witness'];
export type SigsumVectorFile = (typeof sigsumVectorFiles)[number];

/** Fields every sigsum-go vector file starts with. */
export interface VectorFileHeader {
  description: string;
  variant: string;
  generator: string;
  key_derivation: string;
  counts: Record<string, number>;
}

/** A key the generator derived: label, seed and public key, hex. */
export interface VectorKey {
  label: string;
  seed: string;
  public_key: string;
  key_hash: string;
}

/** A negative case: what was changed and the error Go gave. */
export interface Mutated {
  mutation?: string;
  go_error?: string;
}

export interface AsciiVectors extends VectorFileHeader {
  kinds: { kind: string; parser: string }[];
  cases: ({ name: string; kind: string; body: string; expect: string; parsed?: Record<string, string> } & Mutated)[];
  integers: { input: string; expect: string; value: string }[];
}

export interface KeyVector {
  name: string;
  source: string;
  seed: string;
  public_key: string;
  key_hash: string;
  openssh_private_key: string;
  openssh_public_key: string;
  to_hex_output: string;
  to_hash_output: string;
  vkey_ed25519: string;
  vkey_ed25519_key_id: string;
  vkey_cosignature_name: string;
  vkey_cosignature: string;
  vkey_cosignature_key_id: string;
  sign_message: string;
  sign_namespace: string;
  sign_namespace_output: string;
  sign_no_namespace_output: string;
}

export interface KeysVectors extends VectorFileHeader {
  keys: KeyVector[];
  public_key_parsing: ({ name: string; text: string; expect: string; public_key?: string; policy_name?: string } & Mutated)[];
  private_key_parsing: ({ name: string; text: string; expect: string; public_key?: string } & Mutated)[];
  vkey_parsing: ({ name: string; vkey: string; expect: string; key_name?: string; type?: number; public_key?: string } & Mutated)[];
}

/** The encodings of one leaf. */
export interface LeafEncodings {
  message: string;
  checksum: string;
  signature: string;
  key_hash: string;
  leaf_binary: string;
  leaf_hash: string;
  get_leaves_line: string;
  add_leaf_request: string;
  expect: string;
}

export interface LeavesVectors extends VectorFileHeader {
  namespace: string;
  cases: ({ name: string; submitter: VectorKey; data: string; signed_data: string } & LeafEncodings)[];
  invalid: ({ name: string; public_key: string; add_leaf_verify_error: string } & LeafEncodings & Mutated)[];
  get_leaves_body: string;
}

export interface MerkleVectors extends VectorFileHeader {
  leaves: { index: number; data: string; leaf_hash?: string }[];
  trees: { size: number; root_hash: string }[];
  inclusion: { name: string; leaf_hash: string; index: number; size: number; root_hash: string; path: string[]; expect: string; mutation?: string }[];
  consistency: { name: string; old_size: number; new_size: number; old_root: string; new_root: string; path: string[]; expect: string; mutation?: string }[];
}

/** One quorum evaluation of a policy: which witnesses cosigned, and whether the quorum holds. */
export interface QuorumEvaluation {
  cosigned_key_hashes: string[];
  quorum: boolean;
  confirmed_by_VerifyCosignedTreeHead?: boolean;
  go_error?: string;
}

/** One policy text (hex when it is not valid UTF-8) with Go's verdict and, for valid ones, quorum evaluations. */
export interface PolicyVector extends Mutated {
  name: string;
  text: string;
  text_hex?: string;
  expect: 'valid' | 'invalid';
  quorum_evaluations?: QuorumEvaluation[];
}

export interface PoliciesVectors extends VectorFileHeader {
  keys: { logs: VectorKey[]; witnesses: VectorKey[] };
  cases: PolicyVector[];
  builtin_policies: PolicyVector[];
}

export interface ProofVector extends Mutated {
  name: string;
  base: string;
  version: number;
  tree_size: string;
  leaf_index: string;
  data: string;
  message: string;
  key_file: string;
  policy: string;
  proof: string;
  expect: 'valid' | 'invalid';
  /** The proof-verification stage at which Go rejected the case. */
  stage?: string;
}

export interface ProofsVectors extends VectorFileHeader {
  keys: { logs: VectorKey[]; witnesses: VectorKey[]; submitters: VectorKey[] };
  cases: ProofVector[];
}

export interface TokenVector {
  name: string;
  rate_limit_key: VectorKey;
  log_key: VectorKey;
  domain: string;
  signed_data: string;
  token: string;
  header_name: string;
  header_value: string;
  sigsum_token_create_output: string;
  sigsum_token_create_domain_output: string;
  txt_record_name: string;
  txt_record_value: string;
  sigsum_token_record_output: string;
  checks: ({ name: string; public_key: string; log_public_key: string; token: string; expect: string } & Mutated)[];
}

export interface TokensVectors extends VectorFileHeader {
  namespace: string;
  cases: TokenVector[];
  headers: ({ name: string; value: string; expect: string; domain?: string; token?: string } & Mutated)[];
  normalize: { input: string; expect: string; normalized: string }[];
}

export interface TreeHeadVector {
  name: string;
  log: VectorKey;
  size: string;
  root_hash: string;
  origin: string;
  checkpoint_text: string;
  log_signature: string;
  log_key_id: string;
  signed_note: string;
  signed_tree_head_body: string;
  get_tree_head_body: string;
  cosignatures: {
    witness: VectorKey;
    timestamp: string;
    cosigned_text: string;
    signature: string;
    cosignature_line: string;
    note_key_name: string;
    note_key_id: string;
    note_signature_line: string;
    /** Cosignature checks: a different witness key or origin, or a timestamp changed by the check's name. */
    checks: ({ name: string; expect: string; public_key?: string; origin?: string } & Mutated)[];
  }[];
  log_signature_checks: ({ name: string; expect: string; public_key?: string; size?: string; root_hash?: string; signed_text?: string; signature?: string; note?: string; verify_version0?: string } & Mutated)[];
  expect: string;
}

export interface TreeHeadsVectors extends VectorFileHeader {
  cases: TreeHeadVector[];
}

export interface WitnessCase extends Mutated {
  name: string;
  state_size: string;
  state_root_hash: string;
  /** The witness's state file before the request, when the case starts from one. */
  state_file: string | null;
  request_body: string;
  timestamp: string;
  expect_status: number;
  expect: string;
  response_body?: string;
  cosigned_text?: string;
  response_key_id?: string;
  response_signature?: string;
  old_size?: string;
  consistency_proof?: string[];
  checkpoint?: { origin: string; size: string; root_hash: string; root_hash_base64: string; log_key_id: string; log_signature: string; signed_note: string };
}

export interface WitnessVectors extends VectorFileHeader {
  log: VectorKey & { origin: string; vkey: string; openssh_public_key: string };
  witness: VectorKey & { key_name: string; key_id: string; vkey: string };
  cases: WitnessCase[];
}

/** The contents of each sigsum-go vector file. */
export interface SigsumVectors {
  ascii: AsciiVectors;
  keys: KeysVectors;
  leaves: LeavesVectors;
  merkle: MerkleVectors;
  policies: PoliciesVectors;
  proofs: ProofsVectors;
  tokens: TokensVectors;
  'tree-heads': TreeHeadsVectors;
  witness: WitnessVectors;
}

/** One C2SP CCTV Ed25519 case: hex key, signature and message text, and the edge-case flags it exercises. */
export interface CctvEd25519Vector {
  number: number;
  key: string;
  sig: string;
  msg: string;
  flags: string[] | null;
}

/** Load one sigsum-go vector file (parsed JSON). */
export declare function loadSigsumVectors<N extends SigsumVectorFile>(name: N): Promise<SigsumVectors[N]>;
/** Load the C2SP CCTV Ed25519 edge-case vectors. */
export declare function loadCctvEd25519(): Promise<CctvEd25519Vector[]>;
