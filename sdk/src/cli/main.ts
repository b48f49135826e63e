#!/usr/bin/env node
/** Entry point of the `sigsum` command. */
import { run } from './program.js';

// Output piped into a reader that stops early (`| head`) is not an error.
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Attached when a stream is first used: making process.stdout or stderr loads
// tty or net (a terminal or a pipe), which a command that prints nothing, like
// a successful `verify`, never needs.
for (const name of ['stdout', 'stderr'] as const) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  if (d?.get === undefined || d.configurable !== true) {
    quietOnEpipe(process[name]);
    continue;
  }
  const make = d.get;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: d.enumerable,
    get(): NodeJS.WriteStream {
      const stream = make.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, name, { configurable: true, enumerable: d.enumerable, writable: false, value: stream });
      quietOnEpipe(stream);
      return stream;
    },
  });
}

// Not a top-level await: the bundled command is CommonJS (see scripts/bundle-cli.mjs).
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
