/**
 * Progress of a long one-shot command (check, backup, a tiles export): on a
 * terminal, one line on standard error redrawn in place at most every
 * 250 ms; in scripts (no TTY) nothing, so that their output stays exactly
 * what the command prints.
 */

/** Reports `done` of `total`; `end` draws the last figure and ends the line. */
export interface TerminalProgress {
  update(done: number, total: number): void;
  end(done: number, total: number): void;
}

/** A progress line for `what` counted in `unit`, or undefined when standard error is not a terminal. */
export function terminalProgress(what: string, unit: string, tty: NodeJS.WriteStream | undefined = process.stderr.isTTY ? process.stderr : undefined): TerminalProgress | undefined {
  if (tty === undefined) return undefined;
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number): void => {
    tty.write(`\r${what}: ${done}/${total} ${unit} (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (drawn && now - last < 250) return;
      last = now;
      draw(done, total);
    },
    end(done, total) {
      if (!drawn) return;
      draw(done, total);
      tty.write('\n');
      drawn = false;
    },
  };
}
