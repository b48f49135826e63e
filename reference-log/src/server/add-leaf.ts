/**
 * What add-leaf answers to a request body: the whole decision, without HTTP.
 * The Fastify route and the front door ({@link ./front.ts}) both call it, so
 * a submission gets the same status and message whichever path carried it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { VerificationError } from '@sigsum-kit/sdk';
import { leafOfBody, leafSignedMessage, verifyLeafRequestNode, type SubmittedLeaf } from '../crypto/node-crypto.js';
import type { VerifyPool } from '../crypto/verify-pool.js';
import type { LeafState, Sequencer, SubmitStatus } from '../sequencer/sequencer.js';
import { batchLeafStates } from './leaf-states.js';
import { ApiError } from './http.js';

/** A decision of an add-leaf admission hook (e.g. rate limiting): an HTTP status and message to refuse with. */
export interface Refusal {
  /** 4xx status, typically 429. */
  status: number;
  /** Plain-text message. */
  message: string;
}

/** What an admission hook sees of the request: its headers (names in lower case). */
export interface SubmissionRequest {
  readonly headers: IncomingHttpHeaders;
}

/** Admission check for add-leaf (rate limits); runs after the signature check. */
export type AdmitLeaf = (req: SubmissionRequest, leaf: { leaf: Uint8Array; leafHash: Uint8Array }) => Promise<Refusal | undefined> | Refusal | undefined;

/** What {@link addLeafDecider} needs. */
export interface AddLeafOptions {
  /** The sequencer to submit to. */
  sequencer: Sequencer;
  /** Worker threads checking leaf signatures; none → checked on the main thread. */
  verifyPool?: VerifyPool;
  /** How long to wait for a new leaf to be published before answering 202 (ms; 0 = answer at once). */
  waitMs: number;
  /** Optional admission check. */
  admitLeaf?: AdmitLeaf;
}

/** The answer to an add-leaf: at once for a re-send the log knows in memory, else once the checks are done. */
export type AddLeafAnswer = 200 | 202 | Promise<200 | 202>;

/**
 * The add-leaf decision: 200 when the served tree head covers the leaf
 * (get-tree-head then get-inclusion-proof succeed at once), 202 when it is
 * not covered yet (re-send). Throws the SDK's parse errors (400), a
 * `VerificationError` for a bad signature (403) and an `ApiError` for a
 * refusal or a full queue, synchronously or through the promise.
 */
export function addLeafDecider(opts: AddLeafOptions): (body: string, req: SubmissionRequest) => AddLeafAnswer {
  const { sequencer, verifyPool: pool, waitMs, admitLeaf } = opts;
  const leafStates = batchLeafStates((hashes) => sequencer.leafStates(hashes));

  const decide = async (leaf: SubmittedLeaf, req: SubmissionRequest, inMemory: LeafState | undefined): Promise<200 | 202> => {
    const size = sequencer.treeSize;
    // Pending and recently integrated leaves are known in memory; the rest are looked up in this turn's batch.
    const state = inMemory ?? (await leafStates(leaf.leafHash));
    if (state === 'absent') {
      const { request } = leaf;
      const valid = pool === undefined ? verifyLeafRequestNode(request, leaf.checksum) : await pool.verify(request.publicKey, leafSignedMessage(leaf.checksum), request.signature);
      if (!valid) throw new VerificationError('add-leaf.signature', 'leaf signature does not verify', 'signature');
    }
    // Leaves reach storage only by integration: with the tree unchanged since
    // the look-up, an absent leaf is still absent from storage (the sequencer
    // checks its queue anyway); other states only move towards published.
    const known: LeafState | undefined = state === 'absent' && sequencer.treeSize !== size ? undefined : state;
    let status: SubmitStatus;
    if (admitLeaf === undefined) {
      status = sequencer.submit(leaf, known);
    } else {
      const refusal = await admitLeaf(req, leaf);
      if (refusal !== undefined) throw new ApiError(refusal.status, refusal.message);
      status = sequencer.submit(leaf); // looked up again: the leaf may have moved on during the await
    }
    switch (status) {
      case 'published':
        return 200;
      case 'accepted':
        return waitMs > 0 && (await sequencer.waitPublished(leaf.leafHash, waitMs)) ? 200 : 202;
      case 'busy':
        throw new ApiError(503, 'too many leaves are waiting to be sequenced; retry later');
    }
  };

  return (body, req) => {
    const leaf = leafOfBody(body);
    // A leaf the log already holds carries this very checksum, signature and
    // key hash (its leaf hash says so), and that signature verified when it
    // was first accepted: a re-send costs no signature check. The commonest
    // request of all, a re-send of a recent published leaf, needs nothing more.
    const inMemory = sequencer.knownLeafState(leaf.leafHash);
    if (inMemory === 'published' && admitLeaf === undefined) return 200;
    return decide(leaf, req, inMemory);
  };
}
