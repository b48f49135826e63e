/**
 * @sigsum-kit/sdk — the entry that runs everywhere (browsers and Node): what a
 * web app or a Node service needs to parse, verify and submit (formats, Merkle
 * proof checks, policies, proofs, keys, log and witness clients, errors, types).
 * Nothing reachable from here may import a Node-only module.
 *
 * Log-side building blocks (Merkle proving, ASCII body readers and writers,
 * the HTTP plumbing of the clients) are not part of this API: the reference
 * log takes them from `@sigsum-kit/sdk/internal`, which has no stability promise.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './encoding/bytes.js';
export * from './encoding/hex.js';
export * from './encoding/base64.js';
export * from './encoding/integer.js';
export { DEFAULT_MAX_ASCII_BYTES } from './encoding/ascii.js';
export type { AsciiReaderOptions } from './encoding/ascii.js';
export * from './crypto/index.js';
export * from './merkle/hash.js';
export * from './merkle/verify.js';
export type { NodeReader, PerfectNode } from './merkle/prove.js';
export * from './merkle/compact.js';
export * from './merkle/memory.js';
export * from './types/leaf.js';
export * from './types/tree-head.js';
export { parseTreeHeadBody, serializeTreeHead, parseSignedTreeHeadBody, serializeSignedTreeHead, parseCosignatureBody, serializeCosignature, parseCosignedTreeHeadBody, serializeCosignedTreeHead, parseInclusionProofBody, serializeInclusionProof, parseConsistencyProofBody, serializeConsistencyProof, parseLeavesBody, serializeLeaves, parseAddLeafRequest, serializeAddLeafRequest, verifyAddLeafRequest, MAX_PROOF_HASHES } from './types/bodies.js';
export type { InclusionProof, ConsistencyProof, AddLeafRequest, LeavesBodyOptions } from './types/bodies.js';
export { Endpoint, getTreeHeadUrl, addLeafUrl, getInclusionProofUrl, getConsistencyProofUrl, getLeavesUrl } from './types/endpoints.js';
export type { EndpointName, InclusionProofRequest, ConsistencyProofRequest, LeavesRequest } from './types/endpoints.js';
export * from './note/keyid.js';
export * from './note/vkey.js';
export { parseNoteSignatureLine, formatNoteSignatureLine, parseSignedNote, serializeSignedNote, SIGNATURE_LINE_PREFIX, DEFAULT_MAX_NOTE_BYTES, DEFAULT_MAX_NOTE_SIGNATURES } from './note/signed-note.js';
export type { NoteSignature, SignedNote, ParseSignedNoteOptions } from './note/signed-note.js';
export { parseCheckpointText, formatCheckpointText, parseSigsumCheckpoint, serializeSigsumCheckpoint, logKeyId, signSigsumCheckpoint, verifySigsumCheckpoint, MAX_CHECKPOINT_SIGNATURES } from './note/checkpoint.js';
export type { Checkpoint, SigsumCheckpoint } from './note/checkpoint.js';
export * from './note/cosignature.js';
export * from './note/add-checkpoint.js';
export * from './token/index.js';
export * from './policy/index.js';
export * from './proof/index.js';
export * from './keys/index.js';
export { HttpError, NetworkError, isTransportError, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from './client/http.js';
export type { RetryPolicy, RequestOptions, NetworkErrorCode } from './client/http.js';
export * from './client/log.js';
export * from './client/submit.js';
export * from './client/witness.js';
export * from './tiles/index.js';
