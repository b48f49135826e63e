/** Diagnostics (`--diagnostics LEVEL`, as sigsum-go), durations, and a terminal progress bar. */
import { usageError } from './util.js';

const LEVELS = ['fatal', 'error', 'warning', 'info', 'debug'] as const;

/** Leveled diagnostics on standard error. */
export interface Logger {
  error(m: string): void;
  warning(m: string): void;
  info(m: string): void;
  debug(m: string): void;
}

/** A logger printing messages at `level` and more severe ones. */
export function createLogger(level: string): Logger {
  const n = LEVELS.indexOf(level as (typeof LEVELS)[number]);
  if (n < 0) throw usageError(`invalid diagnostics level ${JSON.stringify(level)}: use ${LEVELS.join(', ')}`);
  const at = (l: number, tag: string) => (m: string) => {
    if (l <= n) process.stderr.write(`[${tag}] ${m}\n`);
  };
  return { error: at(1, 'ERROR'), warning: at(2, 'WARNING'), info: at(3, 'INFO'), debug: at(4, 'DEBUG') };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a Go-style duration (`10m`, `1m30s`, `500ms`) or plain seconds, into ms. */
export function parseDuration(s: string, what: string): number {
  if (/^[0-9]+$/.test(s)) return Number(s) * 1000;
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (s === '' || end !== s.length) throw usageError(`invalid duration ${JSON.stringify(s)} for ${what} (e.g. 10m, 90s, 500ms)`);
  return total;
}

/** A one-line progress bar redrawn in place on a terminal. */
export function progressBar(out: NodeJS.WriteStream): { update(done: number, total: number, failed: number): void; done(): void } {
  let last = '';
  return {
    update(done, total, failed) {
      const width = 30;
      const fill = total === 0 ? width : Math.round((done / total) * width);
      const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}${failed > 0 ? `, ${failed} failed` : ''}`;
      if (line !== last) out.write(`\r${line}`);
      last = line;
    },
    done() {
      if (last !== '') out.write('\n');
      last = '';
    },
  };
}
