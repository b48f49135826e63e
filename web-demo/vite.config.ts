// Vite config of the web demo. The SDK is aliased to its TypeScript source so
// the demo always runs the current SDK; if the SDK ever reaches a Node builtin,
// the build fails here (see `nodeBuiltinGuard`), which is the isomorphism check.
import { defineConfig, type Plugin } from 'vite';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const r = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Fail loudly when anything bundled for the browser imports a Node builtin. */
function nodeBuiltinGuard(): Plugin {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  return {
    name: 'sigsum-kit:no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (builtins.has(source) || source.startsWith('node:')) {
        throw new Error(`browser bundle imports Node builtin "${source}" from ${importer ?? '?'}`);
      }
      return null;
    },
  };
}

/**
 * The dev server turns JSON into JavaScript modules but leaves the import
 * attribute `{ with: { type: 'json' } }` of the vector loader in place, and
 * Chromium then refuses the module ("Expected a JSON module script"). Drop the
 * attribute in dev; the production build already handles it.
 */
function devJsonImportAttributes(): Plugin {
  return {
    name: 'sigsum-kit:dev-json-import-attributes',
    apply: 'serve',
    transform(code, id) {
      if (!id.endsWith('.js') || !code.includes("type: 'json'")) return null;
      return { code: code.replace(/(import\(\s*'[^']+\.json')\s*,\s*\{\s*with:\s*\{\s*type:\s*'json'\s*\}\s*\}\s*\)/g, '$1)'), map: null };
    },
  };
}

export default defineConfig({
  root: r('.'),
  // Relative asset URLs so the built demo works from any path.
  base: './',
  plugins: [nodeBuiltinGuard(), devJsonImportAttributes()],
  // `npm start` passes the local stack's log URL and policy (JSON) in SIGSUM_STACK_JSON.
  define: { __SIGSUM_STACK__: process.env.SIGSUM_STACK_JSON ?? 'null' },
  resolve: {
    alias: [
      { find: /^@sigsum-kit\/sdk$/, replacement: r('../sdk/src/index.ts') },
      { find: /^@sigsum-kit\/sdk\/internal$/, replacement: r('../sdk/src/internal.ts') },
      { find: /^@sigsum-kit\/test-vectors$/, replacement: r('../test-vectors/index.js') },
    ],
  },
  server: {
    host: '127.0.0.1',
    fs: { allow: [r('..')] },
  },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: r('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The vector harness page carries every vector file (~3.5 MB of JSON) on purpose.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { main: r('index.html'), vectors: r('vectors.html') },
    },
  },
});
