/**
 * Submitting signed checksums and collecting Sigsum proofs, as sigsum-go's
 * `submit` package does: send add-leaf to a log from the policy (in random
 * order) until it answers 200, then poll for a tree head that the policy's
 * quorum has cosigned and that includes the leaf, fetch the inclusion proof,
 * and hand out a version 2 proof only after verifying it with `verifyProof`.
 *
 * Batches run concurrently; tree head polling is shared per log
 * ({@link TreeHeadPoller}). Callers follow a submission through
 * {@link SubmitEvent}s (per request and per log) and batch counts
 * ({@link SubmitProgress}).
 */
import { SigsumError, VerificationError } from '../errors.js';
import { bytesEqual } from '../encoding/bytes.js';
import type { Signer } from '../crypto/ed25519.js';
import { createToken, formatTokenHeader } from '../token/token.js';
import { leafHashOf, signLeaf, type Leaf } from '../types/leaf.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import { verifyAddLeafRequest, type AddLeafRequest, type InclusionProof } from '../types/bodies.js';
import { verifyProof } from '../proof/verify.js';
import type { SigsumProof } from '../proof/format.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { HttpError } from './http.js';
import { Limiter, pool } from './limiter.js';
import { LogClient } from './log.js';
import { TreeHeadPoller } from './tree-head-poller.js';

/** Sigsum-go's defaults: 10 min overall, 30 s per request, 2 s between polls. */
export const DEFAULT_SUBMIT_TIMEOUT_MS = 10 * 60_000;
/** Default time allowed for one HTTP request during submission. */
export const DEFAULT_SUBMIT_REQUEST_TIMEOUT_MS = 30_000;
/** Default delay between polls of add-leaf and get-tree-head. */
export const DEFAULT_POLL_DELAY_MS = 2_000;

/** A submit token signer and the domain where its public key is registered. */
export interface SubmitTokenConfig {
  /** The rate-limit key. */
  signer: Signer;
  /** Domain of the `_sigsum_v1` TXT record, without that label. */
  domain: string;
}

/** Progress of a batch, passed to {@link SubmitOptions.onProgress}. */
export interface SubmitProgress {
  /** Number of requests in the batch. */
  total: number;
  /** Requests some log has accepted (202 or 200). */
  accepted: number;
  /** Requests with a verified proof. */
  done: number;
  /** Requests that failed. */
  failed: number;
}

/**
 * One stage of a submission, passed to {@link SubmitOptions.onEvent}.
 * `request` is the index of the request in the batch; `log` the URL of the
 * log concerned. Stages of one request come in this order, some repeated
 * (a leaf is looked for in each new tree head until one includes it):
 * `signed` (only when the submit function signs), `accepted` or `sequenced`
 * (or `add-leaf-failed`, then the next log), `inclusion-proof`, `verified`.
 * `tree-head` events are per log, shared by all requests waiting on it.
 */
export type SubmitEvent =
  /** The message was signed (by `submitMessage`/`submitMessages`). */
  | {
      /** The stage. */
      type: 'signed';
      /** Index of the request in the batch. */
      request: number;
    }
  /** add-leaf answered 202: the log has the leaf, but the tree head it serves does not cover it yet. */
  | {
      /** The stage. */
      type: 'accepted';
      /** Index of the request in the batch. */
      request: number;
      /** URL of the log. */
      log: string;
    }
  /** add-leaf answered 200: the tree head the log serves now covers the leaf (on a log that answers 200 earlier, the next head does). */
  | {
      /** The stage. */
      type: 'sequenced';
      /** Index of the request in the batch. */
      request: number;
      /** URL of the log. */
      log: string;
    }
  /** add-leaf failed at this log; the next log is tried. */
  | {
      /** The stage. */
      type: 'add-leaf-failed';
      /** Index of the request in the batch. */
      request: number;
      /** URL of the log. */
      log: string;
      /** The log's HTTP status, when it answered. */
      status: number | undefined;
      /** What went wrong. */
      message: string;
    }
  /** A tree head was fetched. */
  | {
      /** The stage. */
      type: 'tree-head';
      /** URL of the log. */
      log: string;
      /** Its size. */
      size: bigint;
      /** How many cosignatures it carries. */
      cosignatures: number;
      /** Whether it met the policy (log signature and quorum). */
      accepted: boolean;
    }
  /** An inclusion proof was asked for in a tree head of `size`. */
  | {
      /** The stage. */
      type: 'inclusion-proof';
      /** Index of the request in the batch. */
      request: number;
      /** URL of the log. */
      log: string;
      /** Size of the tree head. */
      size: bigint;
      /** False when the leaf is not in that tree yet (404). */
      found: boolean;
    }
  /** The complete proof verified as a verifier will check it. */
  | {
      /** The stage. */
      type: 'verified';
      /** Index of the request in the batch. */
      request: number;
      /** URL of the log. */
      log: string;
      /** Index of the leaf in the tree. */
      leafIndex: bigint;
      /** Size of the tree head of the proof. */
      size: bigint;
    };

/** Options of the submit functions. */
export interface SubmitOptions {
  /** Logs, witnesses and quorum. At least one log needs a URL. */
  policy: Policy;
  /** Give up on the whole batch after this many ms (default 10 min). */
  timeoutMs?: number;
  /** Time allowed for one HTTP request in ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Delay between polls in ms (default 2 s). */
  pollDelayMs?: number;
  /** Cancels the submission. */
  signal?: AbortSignal;
  /** Send a `sigsum-token` header made with this key and domain. */
  token?: SubmitTokenConfig;
  /** HTTP requests in flight at once, over all logs (default 32). Waiting for tree heads holds none. */
  concurrency?: number;
  /** Submissions worked on at once (default 4096); the rest wait their turn. */
  maxPending?: number;
  /** Called whenever a request is accepted, completed or failed. */
  onProgress?: (p: SubmitProgress) => void;
  /** Called at each stage of each request (see {@link SubmitEvent}). */
  onEvent?: (e: SubmitEvent) => void;
  /** Called as soon as the proof of request `index` is verified (e.g. to write it out). */
  onProof?: (index: number, proof: SigsumProof) => void | Promise<void>;
  /** Random source for the order in which logs are tried (default Math.random). */
  random?: () => number;
  /** `User-Agent` header. */
  userAgent?: string;
  /** fetch implementation (default: global). */
  fetch?: typeof fetch;
  /** Diagnostics (debug-level messages about retries and polling). */
  log?: (message: string) => void;
}

/** Submission of one or more requests failed. */
export class SubmitError extends SigsumError {
  /** For a batch: the failure of each failed request by index. */
  readonly failures: ReadonlyMap<number, unknown>;
  constructor(code: string, message: string, where?: string, failures: ReadonlyMap<number, unknown> = new Map()) {
    super(code, message, where);
    this.failures = failures;
  }
}

/** Sign `message` (32 bytes, normally SHA-256 of the data) and build its add-leaf request. */
export async function makeAddLeafRequest(signer: Signer, message: Uint8Array): Promise<AddLeafRequest> {
  if (message.length !== 32) throw new TypeError(`message must be 32 bytes, got ${message.length}`);
  return { message: message.slice(), signature: await signLeaf(signer, message), publicKey: signer.publicKey.slice() };
}

/** The `sigsum-token` header value for one log: `<domain> <hex signature over the log key>`. */
export async function submitTokenHeader(token: SubmitTokenConfig, logPublicKey: Uint8Array): Promise<string> {
  return formatTokenHeader({ domain: token.domain, token: await createToken(token.signer, logPublicKey) });
}

/** Submit one message signed by `signer` and return its verified proof. */
export async function submitMessage(signer: Signer, message: Uint8Array, options: SubmitOptions): Promise<SigsumProof> {
  return (await submitMessages(signer, [message], options))[0]!;
}

/** Submit many messages signed by `signer`; proofs come back in input order. */
export async function submitMessages(signer: Signer, messages: readonly Uint8Array[], options: SubmitOptions): Promise<SigsumProof[]> {
  const reqs: AddLeafRequest[] = [];
  for (const m of messages) {
    reqs.push(await makeAddLeafRequest(signer, m));
    options.onEvent?.({ type: 'signed', request: reqs.length - 1 });
  }
  return submitLeafRequests(reqs, options);
}

/** A log of the policy and what a batch uses to talk to it. */
interface LogTarget {
  entity: PolicyLog;
  /** The log's URL (events name logs by it). */
  url: string;
  client: LogClient;
  /** The `sigsum-token` header value for this log, if submitting with a token. */
  token: string | undefined;
  heads: TreeHeadPoller;
}

/** Settings shared by every request of a batch. */
interface BatchContext {
  policy: Policy;
  pollDelayMs: number;
  requestTimeoutMs: number;
  limiter: Limiter;
  log: (message: string) => void;
  emit: (e: SubmitEvent) => void;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Submit add-leaf requests (e.g. signed offline) and collect a verified
 * proof for each, in input order.
 * @throws SubmitError `submit.no-logs` when no policy log has a URL,
 *   `submit.failed` when any request failed (its `failures` say which and why;
 *   `onProof` has already been called for the others).
 * @throws VerificationError when a request's signature does not verify (before anything is sent).
 */
export async function submitLeafRequests(requests: readonly AddLeafRequest[], options: SubmitOptions): Promise<SigsumProof[]> {
  const leaves = await verifyRequests(requests);
  const withUrl = options.policy.logs.filter((l) => l.url !== undefined);
  if (withUrl.length === 0) throw new SubmitError('submit.no-logs', 'the policy names no log with a URL', 'policy');

  const signals = [AbortSignal.timeout(options.timeoutMs ?? DEFAULT_SUBMIT_TIMEOUT_MS)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const ctx: BatchContext = {
    policy: options.policy,
    pollDelayMs: options.pollDelayMs ?? DEFAULT_POLL_DELAY_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_SUBMIT_REQUEST_TIMEOUT_MS,
    limiter: new Limiter(options.concurrency ?? 32),
    log: options.log ?? (() => undefined),
    emit: options.onEvent ?? (() => undefined),
  };
  const targets = await Promise.all(withUrl.map((entity) => openTarget(entity, options, ctx)));
  const order = shuffled(targets, options.random ?? Math.random);

  const progress: SubmitProgress = { total: requests.length, accepted: 0, done: 0, failed: 0 };
  const report = (): void => options.onProgress?.({ ...progress });
  const proofs: SigsumProof[] = new Array<SigsumProof>(requests.length);
  const failures = new Map<number, unknown>();

  // One listener on the shared signal fans out to a controller per request,
  // so concurrent requests do not pile listeners onto one signal.
  const live = new Set<AbortController>();
  const fanOut = (): void => {
    for (const c of live) c.abort(signal.reason);
  };
  signal.addEventListener('abort', fanOut, { once: true });

  await pool(requests.length, options.maxPending ?? 4096, async (i) => {
    const item = new AbortController();
    live.add(item);
    if (signal.aborted) item.abort(signal.reason);
    try {
      const req = requests[i]!;
      const accepted = await addToSomeLog(req, i, order, item.signal, ctx);
      progress.accepted++;
      report();
      const proof = await collectProof(req, i, leaves[i]!, accepted, item.signal, ctx);
      proofs[i] = proof;
      await options.onProof?.(i, proof);
      progress.done++;
    } catch (e) {
      failures.set(i, signal.aborted && !(e instanceof SigsumError) ? timeoutOrAbort(signal, options.signal) : e);
      progress.failed++;
    } finally {
      live.delete(item);
    }
    report();
  });
  signal.removeEventListener('abort', fanOut);

  if (failures.size > 0) throw batchFailure(failures, requests.length);
  return proofs;
}

/** Check every request's signature before anything is sent; the leaves in request order. */
async function verifyRequests(requests: readonly AddLeafRequest[]): Promise<Leaf[]> {
  const leaves: Leaf[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      leaves.push(await verifyAddLeafRequest(requests[i]!));
    } catch (e) {
      if (e instanceof VerificationError) throw e.within(`request ${i}`);
      throw e;
    }
  }
  return leaves;
}

/** The client, token header and tree head poller of one policy log (precondition: it has a URL). */
async function openTarget(entity: PolicyLog, options: SubmitOptions, ctx: BatchContext): Promise<LogTarget> {
  const url = entity.url!;
  const client = new LogClient({
    url,
    timeoutMs: ctx.requestTimeoutMs,
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const heads = new TreeHeadPoller(entity, client, {
    policy: ctx.policy,
    pollDelayMs: ctx.pollDelayMs,
    requestTimeoutMs: ctx.requestTimeoutMs,
    limiter: ctx.limiter,
    log: ctx.log,
    onTreeHead: (cth, accepted) => ctx.emit({ type: 'tree-head', log: url, size: cth.size, cosignatures: cth.cosignatures.length, accepted }),
  });
  const token = options.token ? await submitTokenHeader(options.token, entity.publicKey) : undefined;
  return { entity, url, client, token, heads };
}

/** The error a batch with failures ends in: it names the first failed request and carries them all. */
function batchFailure(failures: ReadonlyMap<number, unknown>, total: number): SubmitError {
  const first = Math.min(...failures.keys());
  const err = failures.get(first);
  const msg = err instanceof Error ? err.message : String(err);
  return new SubmitError('submit.failed', `${failures.size} of ${total} submissions failed; first (request ${first}): ${msg}`, undefined, failures);
}

function timeoutOrAbort(signal: AbortSignal, caller: AbortSignal | undefined): unknown {
  if (caller?.aborted) return caller.reason;
  const r = signal.reason as unknown;
  if (r instanceof Error && r.name === 'TimeoutError') return new SubmitError('submit.timeout', 'submission timed out', undefined);
  return r;
}

/** A log that accepted a request. */
interface Accepted {
  target: LogTarget;
  /** 'persisted' once the log answered 200. */
  status: 'accepted' | 'persisted';
  /** Size of the newest verified tree head before the request was sent (a 202'd leaf is in none up to it). */
  sizeBefore: bigint;
}

/** Announce an add-leaf answer. */
function emitAddLeaf(ctx: BatchContext, request: number, t: LogTarget, status: Accepted['status']): void {
  ctx.emit({ type: status === 'persisted' ? 'sequenced' : 'accepted', request, log: t.url });
}

/** Send add-leaf to the logs in order until one accepts (2xx). */
async function addToSomeLog(req: AddLeafRequest, i: number, order: readonly LogTarget[], signal: AbortSignal, ctx: BatchContext): Promise<Accepted> {
  const errors: string[] = [];
  for (const t of order) {
    signal.throwIfAborted();
    const sizeBefore = t.heads.latestSize;
    try {
      const status = await ctx.limiter.run(() => t.client.addLeaf(req, { signal, ...(t.token !== undefined ? { token: t.token } : {}) }));
      emitAddLeaf(ctx, i, t, status);
      return { target: t, status, sizeBefore };
    } catch (e) {
      if (signal.aborted) throw e;
      const message = (e as Error).message;
      ctx.emit({ type: 'add-leaf-failed', request: i, log: t.url, status: e instanceof HttpError ? e.status : undefined, message });
      ctx.log(`request ${i}: add-leaf to ${t.url} failed: ${message}`);
      errors.push(message);
    }
  }
  throw new SubmitError('submit.all-logs-failed', `all logs failed: ${errors.join('; ')}`, `request ${i}`);
}

/**
 * Wait until a quorum-cosigned tree head includes the leaf, then fetch and
 * verify its proof. Unlike polling add-leaf on a timer (sigsum-go), requests
 * follow the log's tree heads: a leaf the log answered 202 for is looked for
 * only in heads published after it was sent, and add-leaf is repeated once
 * per new tree head until the log answers 200 — so a large batch costs about
 * one add-leaf and one inclusion proof per leaf.
 */
async function collectProof(req: AddLeafRequest, i: number, leaf: Leaf, a: Accepted, signal: AbortSignal, ctx: BatchContext): Promise<SigsumProof> {
  const t = a.target;
  const leafHash = leafHashOf(leaf);
  let status = a.status;
  // A 200 may mean the leaf was logged long ago: any tree head may hold it.
  let tried = status === 'persisted' ? 0n : a.sizeBefore;
  for (;;) {
    // Without a new tree head for a while, fall through to re-send add-leaf (the log may have lost a 202'd leaf).
    const cth = await t.heads.next(tried, signal, 10 * ctx.pollDelayMs);
    if (cth === undefined) continue; // no acceptable tree head yet (e.g. quorum not met): keep polling
    if (cth.size > tried) {
      tried = cth.size;
      const inclusion = await inclusionIn(cth, leafHash, i, t, signal, ctx);
      if (inclusion !== undefined) return verifiedProof(req, i, leaf, t, cth, inclusion, ctx);
    }
    if (status !== 'persisted') status = await repeatAddLeaf(req, i, t, signal, ctx, status);
  }
}

/** The leaf's inclusion proof in `cth`, or undefined when it is not in that head (yet) or the log did not answer. */
async function inclusionIn(cth: CosignedTreeHead, leafHash: Uint8Array, i: number, t: LogTarget, signal: AbortSignal, ctx: BatchContext): Promise<InclusionProof | undefined> {
  let inclusion: InclusionProof | undefined;
  try {
    inclusion = await ctx.limiter.run(() => t.client.getInclusionProof(cth.size, leafHash, { signal, timeoutMs: ctx.requestTimeoutMs }));
  } catch (e) {
    if (signal.aborted) throw e;
    // 404: not in this tree head yet; anything else: try again with the next one.
    if (e instanceof HttpError && e.status === 404) ctx.emit({ type: 'inclusion-proof', request: i, log: t.url, size: cth.size, found: false });
    else ctx.log(`get-inclusion-proof at ${t.url}: ${(e as Error).message}`);
    return undefined;
  }
  // Size 1 needs no proof from the log: the leaf must be the whole tree.
  const found = cth.size !== 1n || bytesEqual(leafHash, cth.rootHash);
  ctx.emit({ type: 'inclusion-proof', request: i, log: t.url, size: cth.size, found });
  return found ? inclusion : undefined;
}

/**
 * Verify the complete proof as a verifier will, before handing it out: a log
 * that serves a bad proof is an error, not something to retry.
 */
async function verifiedProof(req: AddLeafRequest, i: number, leaf: Leaf, t: LogTarget, cth: CosignedTreeHead, inclusion: InclusionProof, ctx: BatchContext): Promise<SigsumProof> {
  const proof: SigsumProof = { version: 2, logKeyHash: t.entity.keyHash, leaf: { keyHash: leaf.keyHash, signature: leaf.signature }, treeHead: cth, inclusion };
  const v = await verifyProof(proof, { message: req.message, submitterKeys: [req.publicKey], policy: ctx.policy });
  if (!v.ok) throw new VerificationError(v.code, `proof from ${t.url} failed step ${v.step} (${v.stepName}): ${v.message}`, t.url);
  ctx.emit({ type: 'verified', request: i, log: t.url, leafIndex: inclusion.leafIndex, size: cth.size });
  return proof;
}

/** Ask add-leaf again (the log may have dropped a 202'd leaf); a failure keeps the last status. */
async function repeatAddLeaf(req: AddLeafRequest, i: number, t: LogTarget, signal: AbortSignal, ctx: BatchContext, last: Accepted['status']): Promise<Accepted['status']> {
  try {
    const status = await ctx.limiter.run(() => t.client.addLeaf(req, { signal, timeoutMs: ctx.requestTimeoutMs, ...(t.token !== undefined ? { token: t.token } : {}) }));
    emitAddLeaf(ctx, i, t, status);
    return status;
  } catch (e) {
    if (signal.aborted) throw e;
    ctx.log(`add-leaf poll at ${t.url}: ${(e as Error).message}`);
    return last;
  }
}
