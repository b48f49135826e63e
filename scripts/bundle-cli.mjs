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
// commander requires node:child_process at load time only to run external
// subcommand executables, which sigsum never does; loading it (with net,
// dgram and stream) is a measurable part of every start-up. The bundle gets a
// stand-in that loads the real module on first use.
const deferChildProcess = {
  name: 'defer-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'deferred-child-process', namespace: 'sigsum-defer' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sigsum-defer' }, () => ({
      contents: "let m; const real = () => (m ??= require('node:child_process')); module.exports = new Proxy({}, { get: (_, k) => real()[k] });",
      loader: 'js',
    }));
  },
};

await build({
  plugins: [deferChildProcess],
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
