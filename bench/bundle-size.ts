/**
 * Browser bundle size of offline proof verification: an entry that parses a
 * policy and a proof and calls verifyProof, built from the SDK's public entry
 * with Vite's library build (tree-shaken, dependencies bundled), whitespace
 * minified with esbuild (Vite leaves it in ES library output), then gzipped.
 * Up front = the entry chunk and every chunk it imports statically; the
 * chunks reached only by a dynamic import (pure-JS Ed25519 and SHA-256, Node's
 * native path) are reported apart. Baseline in the same run: the SDK's crypto
 * floor alone (WebCrypto SHA-256 + the SDK's Ed25519 verify with its path
 * selection), which any verifier built on the SDK ships.
 *
 * Run: npx tsx bench/bundle-size.ts           (add --modules for the minified bytes of each source file up front)
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';
import { transform } from 'esbuild';
import ts from 'typescript';

const SDK = fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url));
const TARGET_GZIP = 5 * 1024;

const ENTRIES: Record<string, string> = {
  verify: `import { parsePolicy, parseProof, verifyProof } from ${JSON.stringify(SDK)};
export async function check(policyText, proofText, data, submitterKey) {
  const r = await verifyProof(parseProof(proofText), { data, submitterKeys: [submitterKey], policy: parsePolicy(policyText) });
  return r.ok ? 'ok' : r.step + ' ' + r.message;
}`,
  'crypto floor': `import { verify } from ${JSON.stringify(SDK)};
export async function check(pk, msg, sig) { return verify(pk, new Uint8Array(await crypto.subtle.digest('SHA-256', msg)), sig); }`,
};

function virtualEntry(code: string): Plugin {
  return {
    name: 'bench-entry',
    resolveId: (id) => (id.endsWith('bench-entry') ? '\0bench-entry.js' : undefined),
    load: (id) => (id === '\0bench-entry.js' ? code : undefined),
  };
}

interface Size {
  min: number;
  gzip: number;
}

/** Size of the entry chunk (what a page loads up front) and of the lazily imported chunks; with the up-front bytes of each source file. */
async function size(code: string): Promise<{ entry: Size; lazy: Size; textless: Size; modules: [string, number][] }> {
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
  const chunks = outputs.filter((o) => o.type === 'chunk') as unknown as { code: string; isEntry: boolean; fileName: string; imports: string[]; modules: Record<string, { renderedLength: number }> }[];
  // Up front: the entry and every chunk it imports statically; the rest is only fetched by a dynamic import.
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const upFront = new Set<string>();
  const visit = (name: string): void => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const i of byName.get(name)?.imports ?? []) visit(i);
  };
  for (const c of chunks) if (c.isEntry) visit(c.fileName);
  const measure = async (js: string[], textless = false): Promise<Size> => {
    let min = 0;
    let gzip = 0;
    for (const c of js) {
      // Vite keeps whitespace in ES library output (for downstream tree-shaking);
      // an app's bundler removes it, so finish the minification as that would.
      const full = (await transform(c, { minify: true, format: 'esm', target: 'es2022' })).code;
      const m = textless ? withoutText(full) : full;
      if (process.env.BUNDLE_DUMP) (await import('node:fs')).writeFileSync(`${process.env.BUNDLE_DUMP}-${Buffer.byteLength(m)}.js`, m);
      min += Buffer.byteLength(m);
      gzip += gzipSync(m, { level: 9 }).length;
    }
    return { min, gzip };
  };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const modules = chunks
    .filter((c) => upFront.has(c.fileName))
    .flatMap((c) => Object.entries(c.modules).map(([id, m]): [string, number] => [id.replace(root, '').replace(/^\0/, ''), m.renderedLength]))
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    entry: await measure(chunks.filter((c) => upFront.has(c.fileName)).map((c) => c.code)),
    lazy: await measure(chunks.filter((c) => !upFront.has(c.fileName)).map((c) => c.code)),
    textless: await measure(chunks.filter((c) => upFront.has(c.fileName)).map((c) => c.code), true),
    modules,
  };
}

/**
 * The code without its text, a lower bound on what the same logic costs with
 * any wording: every string literal longer than 16 characters (messages, probe
 * vectors, namespaces) and every template literal becomes "".
 */
function withoutText(js: string): string {
  const file = ts.createSourceFile('chunk.js', js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const cut: [number, number][] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n) || (ts.isStringLiteral(n) && n.text.length > 16)) {
      cut.push([n.getStart(file), n.getEnd()]);
      return;
    }
    n.forEachChild(visit);
  };
  visit(file);
  let out = js;
  for (const [a, b] of cut.reverse()) out = out.slice(0, a) + '""' + out.slice(b);
  return out;
}

const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const results: Record<string, { entry: Size; lazy: Size; textless: Size; modules: [string, number][] }> = {};
for (const [name, code] of Object.entries(ENTRIES)) results[name] = await size(code);
const v = results.verify!;
const floor = results['crypto floor']!;
console.log('bundle size (Vite library build, all dependencies bundled, esbuild-minified, gzip -9):');
console.log(`  parsePolicy + parseProof + verifyProof, loaded up front  ${kb(v.entry.min)} min / ${kb(v.entry.gzip)} gzip  (target <= ${kb(TARGET_GZIP)} gzip: ${v.entry.gzip <= TARGET_GZIP ? 'met' : 'NOT met'})`);
console.log(`    + chunks loaded on demand (pure-JS Ed25519 and SHA-256 where WebCrypto fails the probe or is missing; Node's native path)  ${kb(v.lazy.min)} min / ${kb(v.lazy.gzip)} gzip`);
console.log(`  baseline: WebCrypto SHA-256 + the SDK's Ed25519 verify only, up front  ${kb(floor.entry.min)} min / ${kb(floor.entry.gzip)} gzip`);
console.log(`  the same up-front code without its text (strings > 16 chars and templates emptied)  ${kb(v.textless.min)} min / ${kb(v.textless.gzip)} gzip`);
console.log(`  ratio to baseline: ${(v.entry.gzip / floor.entry.gzip).toFixed(2)}x gzip; proof/policy code adds ${kb(v.entry.gzip - floor.entry.gzip)} gzip`);
console.log(`  outside figure: FPF sigsum-ts 0.3.8 verify, 3,393 B min+gzip with esbuild (measured on this machine class 2026-11-29; cannot run in this build)`);
if (process.argv.includes('--modules')) {
  console.log('up-front bytes of each source file (minified by Vite, before the final whitespace pass and gzip):');
  for (const [id, n] of v.modules) console.log(`  ${String(n).padStart(6)}  ${id}`);
}
