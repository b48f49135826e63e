/**
 * Progress of a secondary catching up with its primary: what an operator
 * watching a fresh secondary (or one back after a long outage) wants to
 * know is how far it is, how fast it goes, and when it will be done.
 *
 * On a terminal: one line redrawn in place (at most every `redrawMs`). In
 * scripts and under a service manager: a log line at the start and then at
 * most every `logEveryMs`. Both end with one `caught up with the primary`
 * log line. A pull that fits in one batch is ordinary replication, not a
 * catch-up, and reports nothing.
 */
import type { FastifyBaseLogger } from 'fastify';

/** Options of {@link catchUpProgress}. */
export interface CatchUpProgressOptions {
  log: FastifyBaseLogger;
  /** The terminal to draw on (standard error when it is a TTY), or undefined for log lines. */
  tty?: NodeJS.WriteStream;
  /** Least time between two log lines, ms (default 10 s). */
  logEveryMs?: number;
  /** Least time between two redraws on a terminal, ms (default 250). */
  redrawMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** Reports one catch-up at a time; see the module comment. */
export interface CatchUpProgress {
  /** A pull begins with `size` leaves stored and the primary at `target`; `batchSize` leaves come per request. */
  begin(size: number, target: number, batchSize: number): void;
  /** A batch was stored. */
  update(size: number, target: number): void;
  /** The pull reached the primary's size. */
  finish(size: number): void;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Create the reporter of a secondary's catch-up. */
export function catchUpProgress(opts: CatchUpProgressOptions): CatchUpProgress {
  const now = opts.now ?? Date.now;
  const logEveryMs = opts.logEveryMs ?? 10_000;
  const redrawMs = opts.redrawMs ?? 250;
  let active: { startSize: number; startAt: number; lastReport: number } | undefined;
  let drawn = '';

  const figures = (size: number, target: number): { rate: number; eta: number | undefined } => {
    const elapsed = (now() - active!.startAt) / 1000;
    const rate = elapsed > 0 ? (size - active!.startSize) / elapsed : 0;
    return { rate, eta: rate > 0 ? ((target - size) / rate) * 1000 : undefined };
  };

  const report = (size: number, target: number, force: boolean): void => {
    const t = now();
    const { rate, eta } = figures(size, target);
    if (opts.tty !== undefined) {
      if (!force && t - active!.lastReport < redrawMs) return;
      const pct = target === 0 ? 100 : Math.floor((size / target) * 100);
      const line = `catching up with the primary: ${size}/${target} leaves (${pct}%), ${Math.round(rate)} leaves/s, ETA ${eta === undefined ? '?' : seconds(eta)}`;
      // Pad over a longer previous line; \r redraws in place.
      opts.tty.write(`\r${line.padEnd(drawn.length)}`);
      drawn = line;
    } else {
      if (!force && t - active!.lastReport < logEveryMs) return;
      opts.log.info(
        { size, primarySize: target, leavesPerSecond: Math.round(rate), etaSeconds: eta === undefined ? null : Math.round(eta / 1000) },
        `catching up: ${size} of ${target} leaves`,
      );
    }
    active!.lastReport = t;
  };

  return {
    begin(size, target, batchSize) {
      if (active === undefined) {
        if (target - size <= batchSize) return;
        active = { startSize: size, startAt: now(), lastReport: 0 };
        report(size, target, true);
      }
    },
    update(size, target) {
      if (active !== undefined) report(size, target, false);
    },
    finish(size) {
      if (active === undefined) return;
      const ms = now() - active.startAt;
      if (opts.tty !== undefined && drawn !== '') opts.tty.write('\n');
      drawn = '';
      opts.log.info({ size, leaves: size - active.startSize, seconds: Math.round(ms / 100) / 10 }, 'caught up with the primary');
      active = undefined;
    },
  };
}
