/**
 * One log's tree heads as seen by a batch of submissions: every request
 * waiting on the log shares the polling, so a batch of a thousand leaves
 * costs one get-tree-head per poll round, not a thousand.
 */
import type { CosignedTreeHead } from '../types/tree-head.js';
import type { Policy, PolicyLog } from '../policy/policy.js';
import { verifyCosignedTreeHead } from '../policy/verify.js';
import { sleep } from './http.js';
import type { Limiter } from './limiter.js';
import type { LogClient } from './log.js';

/** What the poller needs besides the log. */
export interface TreeHeadPollerOptions {
  /** Policy every head is verified against (log signature and quorum). */
  policy: Policy;
  /** Least time between two get-tree-head requests, ms. */
  pollDelayMs: number;
  /** Time allowed for one request, ms. */
  requestTimeoutMs: number;
  /** Shared bound on requests in flight. */
  limiter: Limiter;
  /** Diagnostics. */
  log: (message: string) => void;
  /** Called with every head fetched, whether or not it met the policy. */
  onTreeHead?: (cth: CosignedTreeHead, accepted: boolean) => void;
}

/**
 * At most one get-tree-head in flight and at most one per poll delay; every
 * fetched head is verified against the policy once, and only heads that
 * pass are handed out. Heads never go back in size.
 */
export class TreeHeadPoller {
  #latest: CosignedTreeHead | undefined;
  #lastFetch = -Infinity;
  #inflight: Promise<void> | undefined;

  constructor(
    private readonly entity: PolicyLog,
    private readonly client: LogClient,
    private readonly o: TreeHeadPollerOptions,
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
    this.#inflight ??= this.#fetch(signal).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(signal: AbortSignal): Promise<void> {
    const wait = this.#lastFetch + this.o.pollDelayMs - Date.now();
    if (wait > 0) await sleep(wait, signal);
    this.#lastFetch = Date.now();
    const url = this.entity.url;
    try {
      const cth = await this.o.limiter.run(() => this.client.getTreeHead({ signal, timeoutMs: this.o.requestTimeoutMs }));
      const v = await verifyCosignedTreeHead(this.o.policy, this.entity.keyHash, cth);
      this.o.onTreeHead?.(cth, v.ok);
      if (!v.ok) {
        this.o.log(`tree head of size ${cth.size} from ${url} not accepted: ${v.message}`);
        return;
      }
      if (this.#latest === undefined || cth.size >= this.#latest.size) this.#latest = cth;
    } catch (e) {
      if (signal.aborted) throw e;
      this.o.log(`get-tree-head from ${url} failed: ${(e as Error).message}`);
    }
  }
}
