#!/usr/bin/env node
/** Entry point of the `sigsum` command. */
import { run } from './program.js';

// Output piped into a reader that stops early (`| head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Not a top-level await: the bundled command is CommonJS (see scripts/bundle-cli.mjs).
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
