/**
 * @sigsum-kit/sdk/internal — everything of the root entry plus the log-side
 * building blocks that the root entry keeps out of the public API: Merkle
 * proving, ASCII body readers and writers, server-side path parsing, the HTTP
 * plumbing of the clients. For @sigsum-kit/reference-log and the tests of this
 * repository; no stability promise (it may change in any release).
 * @internal
 * @packageDocumentation
 */
export * from './index.js';
export { AsciiReader, AsciiWriter } from './encoding/ascii.js';
export type { RepeatBounds, AsciiValue } from './encoding/ascii.js';
export { borderPositions, treeRoot, inclusionProof, consistencyProof } from './merkle/prove.js';
export { readTreeHead, readSignedTreeHead, parseCosignatureValue, readCosignatures, readNodeHashes, readInclusionProof, parseLeafValue, writeTreeHead, writeSignedTreeHead, writeCosignatures, writeNodeHashes, writeInclusionProof } from './types/bodies.js';
export { parseInclusionProofPath, parseConsistencyProofPath, parseLeavesPath, endpointUrl } from './types/endpoints.js';
export { splitNoteSignatureLine } from './note/signed-note.js';
export { readSigsumCheckpoint, noteString, noteReader } from './note/checkpoint.js';
export { sleep, serverMessage, httpRequest } from './client/http.js';
export type { HttpRequest, HttpResponse } from './client/http.js';
