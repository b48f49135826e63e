#!/usr/bin/env node
// Bundles the `sigsum` command into sdk/dist/bin/ (all dependencies inlined,
// CommonJS): sigsum-<subcommand>.cjs, one file with just what that subcommand
// runs, sigsum-all.cjs with every subcommand (top-level help, --version,
// unknown words), and sigsum.cjs, the launcher that the package's bin
// requires: it picks the file by the first word and runs it with V8's code
// cache (sdk/src/cli/compile-cache.ts). Start-up then reads two files, and
// after the first run compiles almost nothing (figures in docs/benchmarks.md).
// CommonJS rather than ES modules: Node's ES module loader costs start-up time
// of its own (it loads fs/promises and readline), and V8's code cache can be
// handed only to scripts on Node 20. `tsc -b` still builds sdk/dist/cli/ from
// the same sources; tests run both.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('../sdk/', import.meta.url));
const outdir = `${sdk}dist/bin`;
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
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

const SUBCOMMANDS = ['key', 'submit', 'verify', 'token', 'policy', 'monitor'];

// Leaves out every subcommand module but `keep` (the bundle for one
// subcommand never registers the others: see buildProgram(only)).
const onlySubcommand = (keep) => ({
  name: 'only-subcommand',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^\\./(${SUBCOMMANDS.join('|')})\\.js$`) }, (args) =>
      args.importer.endsWith('/cli/program.ts') && args.path !== `./${keep}.js` ? { path: args.path, namespace: 'sigsum-omitted' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'sigsum-omitted' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
});

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Native and optional modules are loaded from node_modules at run time.
  external: ['pkcs11js'],
  // import() of Node built-ins and of pkcs11js becomes require(): the code
  // cache runs the bundle as a script, which has no dynamic import.
  supported: { 'dynamic-import': false },
  // The version is inlined (no package.json read at start-up); nothing else uses import.meta.
  define: {
    SIGSUM_BUNDLED_VERSION: JSON.stringify(JSON.parse(readFileSync(`${sdk}package.json`, 'utf8')).version),
    'import.meta.url': 'undefined',
  },
  // Each bundle is one function expression, the body of a CommonJS module
  // (sdk/src/cli/compile-cache.ts runs it): V8 compiles the file's text as it
  // is, with no wrapper string built around it at start-up.
  banner: { js: "(function (exports, require, module, __filename, __dirname) { 'use strict';" },
  footer: { js: '})' },
  logLevel: 'warning',
  legalComments: 'linked',
  write: false,
};

/**
 * Write esbuild's output files; returns a short hash of the bundle's text (its
 * build id). esbuild escapes non-ASCII characters in code but not in comments;
 * escaping those too keeps the file ASCII, so that Node reads it into a
 * one-byte string, half the size of a two-byte one (fewer young-generation
 * collections at start-up).
 */
function writeOutputs(result) {
  let id;
  for (const f of result.outputFiles) {
    if (!f.path.endsWith('.cjs')) {
      writeFileSync(f.path, f.contents);
      continue;
    }
    const text = f.text.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    writeFileSync(f.path, text);
    id = createHash('sha256').update(text).digest('hex').slice(0, 16);
  }
  return id;
}

const bundles = { all: [deferChildProcess] };
for (const name of SUBCOMMANDS) bundles[name] = [deferChildProcess, onlySubcommand(name)];
const ids = Object.fromEntries(
  await Promise.all(
    Object.entries(bundles).map(async ([name, plugins]) => [
      name,
      writeOutputs(
        await build({ ...common, plugins, entryPoints: { [`sigsum-${name}`]: `${sdk}src/cli/main.ts` }, outdir, outExtension: { '.js': '.cjs' } }),
      ),
    ]),
  ),
);
// The launcher: the bundle of the subcommand named first (options come after it), else the whole command.
writeOutputs(
  await build({
    ...common,
    define: {},
    banner: { js: '#!/usr/bin/env node' },
    footer: {},
    stdin: {
      contents: `import { runWithCompileCache } from './compile-cache.ts';
const BUILD_IDS: Record<string, string> = ${JSON.stringify(ids)};
const first = process.argv[2] ?? '';
const name = first !== 'all' && Object.hasOwn(BUILD_IDS, first) ? first : 'all';
runWithCompileCache(\`\${__dirname}/sigsum-\${name}.cjs\`, name, BUILD_IDS[name]!);
`,
      resolveDir: `${sdk}src/cli`,
      loader: 'ts',
      sourcefile: 'launcher.ts',
    },
    outfile: `${outdir}/sigsum.cjs`,
  }),
);
