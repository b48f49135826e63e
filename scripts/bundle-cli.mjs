#!/usr/bin/env node
// Bundles the `sigsum` command into sdk/dist/bin/ (one file per subcommand
// chunk, all dependencies inlined) so that start-up reads a few files instead
// of resolving and compiling ~40 modules: an offline `sigsum verify` starts
// close to a bare `node` (figures in docs/benchmarks.md). `tsc -b` still
// builds sdk/dist/cli/ from the same sources; tests run both.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('../sdk/', import.meta.url));
const outdir = `${sdk}dist/bin`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { sigsum: `${sdk}src/cli/main.ts` },
  outdir,
  bundle: true,
  splitting: true, // each subcommand's module stays a lazily imported chunk
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // Native and optional modules are loaded from node_modules at run time.
  external: ['pkcs11js'],
  // CommonJS dependencies (commander) call require() for Node built-ins.
  banner: { js: "import { createRequire as __sigsumRequire } from 'node:module'; const require = __sigsumRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'linked',
});
