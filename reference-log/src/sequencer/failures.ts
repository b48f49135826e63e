/**
 * Logging of a retried operation that keeps failing (a full disk fails every
 * integration round): one error line when it starts failing or fails
 * differently, one info line when it works again with the number of
 * failures and how long they lasted, nothing in between. Metrics still count
 * every failure (storage errors are counted where storage is instrumented).
 */
import type { Logger } from '../logger.js';

/** See the module comment. */
export class FailureLog {
  readonly #log: Logger;
  readonly #what: string;
  readonly #now: () => number;
  /** The current failure streak, if failing (`unlogged`: failures since the last line). */
  #streak: { since: number; failures: number; unlogged: number; reason: string } | undefined;

  /**
   * @param what the operation, as in "integrating leaves"
   * @param now clock in ms (tests)
   */
  constructor(log: Logger, what: string, now: () => number = Date.now) {
    this.#log = log;
    this.#what = what;
    this.#now = now;
  }

  /** Whether the last attempt failed. */
  get failing(): boolean {
    return this.#streak !== undefined;
  }

  /** Record a failed attempt; logs only when the streak starts or its reason changes. */
  failed(err: unknown, fields: object = {}): void {
    const reason = String(err);
    const s = this.#streak;
    if (s !== undefined && s.reason === reason) {
      s.failures++;
      s.unlogged++;
      return;
    }
    this.#log.error({ ...fields, err: reason, ...(s === undefined ? {} : { suppressed: s.unlogged }) }, `${this.#what} failed`);
    this.#streak = { since: s?.since ?? this.#now(), failures: (s?.failures ?? 0) + 1, unlogged: 0, reason };
  }

  /** Record a successful attempt; logs the recovery if a streak was running. */
  succeeded(): void {
    const s = this.#streak;
    if (s === undefined) return;
    this.#streak = undefined;
    this.#log.info({ failures: s.failures, suppressed: s.unlogged, failingMs: this.#now() - s.since }, `${this.#what} works again`);
  }
}
