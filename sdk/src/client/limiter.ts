/** Concurrency bounds for batches of requests (pure; no I/O). */

/** Runs at most `n` tasks at once; the rest wait in arrival order. */
export class Limiter {
  #free: number;
  readonly #queue: (() => void)[] = [];

  /** `n` below 1 counts as 1. */
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }

  /** Run `fn` as soon as a slot is free; the slot is released when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#queue.push(r));
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Run `fn` over the indices 0..n-1, at most `limit` at a time, each index once. */
export async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}
