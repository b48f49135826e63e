/**
 * Browser bundle size of offline proof verification: an entry that parses a
 * policy and a proof and calls verifyProof, built from the SDK's public entry
 * with Vite's library build (tree-shaken, dependencies bundled), whitespace
 * minified with esbuild (Vite leaves it in ES library output), then gzipped. Baseline in the same run: the SDK's crypto floor alone (SHA-256
 * + Ed25519 verify), which any verifier must ship.
 *
 * Run: npx tsx bench/bundle-size.ts
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';
import { transform } from 'esbuild';

const SDK = fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url));
const TARGET_GZIP = 15 * 1024;

const ENTRIES: Record<string, string> = {
  verify: `import { parsePolicy, parseProof, verifyProof } from ${JSON.stringify(SDK)};
export async function check(policyText, proofText, data, submitterKey) {
  const r = await verifyProof(parseProof(proofText), { data, submitterKeys: [submitterKey], policy: parsePolicy(policyText) });
  return r.ok ? 'ok' : r.step + ' ' + r.message;
}`,
  'crypto floor': `import { sha256, verify } from ${JSON.stringify(SDK)};
export function check(pk, msg, sig) { return verify(pk, sha256(msg), sig); }`,
};

function virtualEntry(code: string): Plugin {
  return {
    name: 'bench-entry',
    resolveId: (id) => (id.endsWith('bench-entry') ? '\0bench-entry.js' : undefined),
    load: (id) => (id === '\0bench-entry.js' ? code : undefined),
  };
}

async function size(code: string): Promise<{ min: number; gzip: number }> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: fileURLToPath(new URL('..', import.meta.url)),
    plugins: [virtualEntry(code)],
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: 'bench-entry', formats: ['es'], fileName: 'bundle' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ('output' in o ? o.output : []));
  const js = outputs
    .filter((o) => o.type === 'chunk')
    .map((o) => (o as { code: string }).code)
    .join('\n');
  // Vite keeps whitespace in ES library output (for downstream tree-shaking);
  // an app's bundler removes it, so finish the minification as that would.
  const min = (await transform(js, { minify: true, format: 'esm', target: 'es2022' })).code;
  if (process.env.BUNDLE_DUMP) (await import('node:fs')).writeFileSync(`${process.env.BUNDLE_DUMP}-${Buffer.byteLength(min)}.js`, min);
  return { min: Buffer.byteLength(min), gzip: gzipSync(min, { level: 9 }).length };
}

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const results: Record<string, { min: number; gzip: number }> = {};
for (const [name, code] of Object.entries(ENTRIES)) results[name] = await size(code);
const v = results.verify!;
const floor = results['crypto floor']!;
console.log('bundle size (Vite library build, all dependencies bundled, esbuild-minified, gzip -9):');
console.log(`  parsePolicy + parseProof + verifyProof  ${kb(v.min)} min / ${kb(v.gzip)} gzip  (target <= ${kb(TARGET_GZIP)} gzip: ${v.gzip <= TARGET_GZIP ? 'met' : 'NOT met'})`);
console.log(`  baseline: SHA-256 + Ed25519 verify only   ${kb(floor.min)} min / ${kb(floor.gzip)} gzip`);
console.log(`  ratio to baseline: ${(v.gzip / floor.gzip).toFixed(2)}x gzip; proof/policy code adds ${kb(v.gzip - floor.gzip)} gzip`);
