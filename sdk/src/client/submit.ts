/**
 * Submitting signed checksums and collecting Sigsum proofs, as sigsum-go's
 * `submit` package does: send add-leaf to a log from the policy (in random
 * order) until it answers 200, then poll for a tree head that the policy's
 * quorum has cosigned and that includes the leaf, fetch the inclusion proof,
 * and hand out a version 2 proof only after verifying it with `verifyProof`.
 *
 * Batches run concurrently; tree head polling is shared per log so a batch
 * of a thousand leaves costs one get-tree-head per poll round, not a thousand.
 */
import { SigsumError, VerificationError } from '../errors.js';
import { toHex } from '../encoding/hex.js';
import type { Signer } from '../crypto/ed25519.js';
import { createToken, formatTokenHeader } from '../token/token.js';
import { leafHashOf, signLeaf, type Leaf } from '../types/leaf.js';
import type { CosignedTreeHead } from '../types/tree-head.js';
import { verifyAddLeafRequest, type AddLeafRequest, type InclusionProof } from '../types/bodies.js';
import { verifyProof } from '../proof/verify.js';
import type { SigsumProof } from '../proof/format.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { verifyCosignedTreeHead } from '../policy/verify.js';
import { HttpError, sleep } from './http.js';
import { LogClient } from './log.js';

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
  return (await submitLeafRequests([await makeAddLeafRequest(signer, message)], options))[0]!;
}

/** Submit many messages signed by `signer`; proofs come back in input order. */
export async function submitMessages(signer: Signer, messages: readonly Uint8Array[], options: SubmitOptions): Promise<SigsumProof[]> {
  const reqs: AddLeafRequest[] = [];
  for (const m of messages) reqs.push(await makeAddLeafRequest(signer, m));
  return submitLeafRequests(reqs, options);
}

interface LogTarget {
  entity: PolicyLog;
  client: LogClient;
  token: string | undefined;
  heads: TreeHeadPoller;
}

/** At most `n` tasks at once; the rest queue in order. */
class Limiter {
  #free: number;
  readonly #queue: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#queue.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/**
 * Shares get-tree-head polling among all requests waiting on one log: at most
 * one request in flight and at most one per poll delay; every fetched head is
 * verified against the policy once.
 */
class TreeHeadPoller {
  #latest: CosignedTreeHead | undefined;
  #lastFetch = -Infinity;
  #inflight: Promise<void> | undefined;
  constructor(
    private readonly target: () => LogTarget,
    private readonly policy: Policy,
    private readonly pollDelayMs: number,
    private readonly requestTimeoutMs: number,
    private readonly limiter: Limiter,
    private readonly log: (m: string) => void,
  ) {}

  /** Size of the newest verified tree head, or -1 before the first. */
  get latestSize(): bigint {
    return this.#latest?.size ?? -1n;
  }

  /**
   * A quorum-verified tree head larger than `afterSize`, polling as needed;
   * after `maxWaitMs` without one, the newest verified head (possibly not
   * larger), or undefined when none has verified yet.
   */
  async next(afterSize: bigint, signal: AbortSignal, maxWaitMs: number): Promise<CosignedTreeHead | undefined> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (this.#latest !== undefined && this.#latest.size > afterSize) return this.#latest;
      if (Date.now() >= deadline) return this.#latest;
      await this.#refresh(signal);
    }
  }

  #refresh(signal: AbortSignal): Promise<void> {
    if (this.#inflight === undefined) {
      this.#inflight = (async () => {
        const wait = this.#lastFetch + this.pollDelayMs - Date.now();
        if (wait > 0) await sleep(wait, signal);
        this.#lastFetch = Date.now();
        const t = this.target();
        try {
          const cth = await this.limiter.run(() => t.client.getTreeHead({ signal, timeoutMs: this.requestTimeoutMs }));
          const v = await verifyCosignedTreeHead(this.policy, t.entity.keyHash, cth);
          if (!v.ok) {
            this.log(`tree head of size ${cth.size} from ${t.entity.url} not accepted: ${v.message}`);
            return;
          }
          if (this.#latest === undefined || cth.size >= this.#latest.size) this.#latest = cth;
        } catch (e) {
          if (signal.aborted) throw e;
          this.log(`get-tree-head from ${t.entity.url} failed: ${(e as Error).message}`);
        }
      })().finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Run `fn` over `n` indices with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
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
  const leaves: Leaf[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      leaves.push(await verifyAddLeafRequest(requests[i]!));
    } catch (e) {
      if (e instanceof VerificationError) throw e.within(`request ${i}`);
      throw e;
    }
  }
  const withUrl = options.policy.logs.filter((l) => l.url !== undefined);
  if (withUrl.length === 0) throw new SubmitError('submit.no-logs', 'the policy names no log with a URL', 'policy');

  const pollDelay = options.pollDelayMs ?? DEFAULT_POLL_DELAY_MS;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_SUBMIT_REQUEST_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const signals = [AbortSignal.timeout(options.timeoutMs ?? DEFAULT_SUBMIT_TIMEOUT_MS)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);

  const limiter = new Limiter(options.concurrency ?? 32);
  const targets: LogTarget[] = [];
  for (const entity of withUrl) {
    const t: LogTarget = {
      entity,
      client: new LogClient({
        url: entity.url!,
        timeoutMs: requestTimeout,
        ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      token: options.token ? await submitTokenHeader(options.token, entity.publicKey) : undefined,
      heads: undefined as unknown as TreeHeadPoller,
    };
    t.heads = new TreeHeadPoller(() => t, options.policy, pollDelay, requestTimeout, limiter, log);
    targets.push(t);
  }
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
      const accepted = await addToSomeLog(req, order, item.signal, limiter, log, i);
      progress.accepted++;
      report();
      const proof = await collectProof(req, leaves[i]!, accepted, item.signal, { pollDelay, requestTimeout, limiter, log, policy: options.policy });
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

  if (failures.size > 0) {
    const first = Math.min(...failures.keys());
    const err = failures.get(first);
    const msg = err instanceof Error ? err.message : String(err);
    throw new SubmitError('submit.failed', `${failures.size} of ${requests.length} submissions failed; first (request ${first}): ${msg}`, undefined, failures);
  }
  return proofs;
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

/** Send add-leaf to the logs in order until one accepts (2xx). */
async function addToSomeLog(req: AddLeafRequest, order: LogTarget[], signal: AbortSignal, limiter: Limiter, log: (m: string) => void, i: number): Promise<Accepted> {
  const errors: string[] = [];
  for (const t of order) {
    signal.throwIfAborted();
    const sizeBefore = t.heads.latestSize;
    try {
      const status = await limiter.run(() => t.client.addLeaf(req, { signal, ...(t.token !== undefined ? { token: t.token } : {}) }));
      return { target: t, status, sizeBefore };
    } catch (e) {
      if (signal.aborted) throw e;
      log(`request ${i}: add-leaf to ${t.entity.url} failed: ${(e as Error).message}`);
      errors.push((e as Error).message);
    }
  }
  throw new SubmitError('submit.all-logs-failed', `all logs failed: ${errors.join('; ')}`, `request ${i}`);
}

interface CollectContext {
  pollDelay: number;
  requestTimeout: number;
  limiter: Limiter;
  log: (m: string) => void;
  policy: Policy;
}

/**
 * Wait until a quorum-cosigned tree head includes the leaf, then fetch and
 * verify its proof. Unlike polling add-leaf on a timer (sigsum-go), requests
 * follow the log's tree heads: a leaf the log answered 202 for is looked for
 * only in heads published after it was sent, and add-leaf is repeated once
 * per new tree head until the log answers 200 — so a large batch costs about
 * one add-leaf and one inclusion proof per leaf.
 */
async function collectProof(req: AddLeafRequest, leaf: Leaf, a: Accepted, signal: AbortSignal, c: CollectContext): Promise<SigsumProof> {
  const t = a.target;
  const tokenOpt = t.token !== undefined ? { token: t.token } : {};
  const leafHash = leafHashOf(leaf);
  let status = a.status;
  // A 200 may mean the leaf was logged long ago: any tree head may hold it.
  let tried = status === 'persisted' ? 0n : a.sizeBefore;
  for (;;) {
    // Without a new tree head for a while, fall through to re-send add-leaf (the log may have lost a 202'd leaf).
    const cth = await t.heads.next(tried, signal, 10 * c.pollDelay);
    if (cth !== undefined && cth.size > tried) {
      tried = cth.size;
      let inclusion: InclusionProof | undefined;
      try {
        inclusion = await c.limiter.run(() => t.client.getInclusionProof(cth.size, leafHash, { signal, timeoutMs: c.requestTimeout }));
      } catch (e) {
        if (signal.aborted) throw e;
        // 404: not in this tree head yet; anything else: try again with the next one.
        if (!(e instanceof HttpError && e.status === 404)) c.log(`get-inclusion-proof at ${t.entity.url}: ${(e as Error).message}`);
      }
      // Size 1 needs no proof: the leaf must be the whole tree.
      if (inclusion !== undefined && !(cth.size === 1n && toHex(leafHash) !== toHex(cth.rootHash))) {
        const proof: SigsumProof = { version: 2, logKeyHash: t.entity.keyHash, leaf: { keyHash: leaf.keyHash, signature: leaf.signature }, treeHead: cth, inclusion };
        // Verify the complete proof as a verifier will, before handing it out:
        // a log that serves a bad proof is an error, not something to retry.
        const v = await verifyProof(proof, { message: req.message, submitterKeys: [req.publicKey], policy: c.policy });
        if (!v.ok) throw new VerificationError(v.code, `proof from ${t.entity.url} failed step ${v.step} (${v.stepName}): ${v.message}`, t.entity.url);
        return proof;
      }
    } else if (cth === undefined) {
      continue; // no acceptable tree head yet (e.g. quorum not met): keep polling
    }
    if (status !== 'persisted') {
      try {
        status = await c.limiter.run(() => t.client.addLeaf(req, { signal, timeoutMs: c.requestTimeout, ...tokenOpt }));
      } catch (e) {
        if (signal.aborted) throw e;
        c.log(`add-leaf poll at ${t.entity.url}: ${(e as Error).message}`);
      }
    }
  }
}
