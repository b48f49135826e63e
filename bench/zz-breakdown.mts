import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';
import { transform } from 'esbuild';
import { gzipSync } from 'node:zlib';
const ROOT = process.cwd();
const SDK = ROOT + '/sdk/src/index.ts';
const code = `import { parsePolicy, parseProof, verifyProof } from ${JSON.stringify(SDK)};
export async function check(policyText, proofText, data, submitterKey) {
  const r = await verifyProof(parseProof(proofText), { data, submitterKeys: [submitterKey], policy: parsePolicy(policyText) });
  return r.ok ? 'ok' : r.step + ' ' + r.message;
}`;
const p: Plugin = { name: 'e', resolveId: (id) => (id.endsWith('bench-entry') ? '\0bench-entry.js' : undefined), load: (id) => (id === '\0bench-entry.js' ? code : undefined) };
const out: any = await build({ configFile: false, logLevel: 'silent', root: ROOT, plugins: [p], build: { write: false, minify: true, target: 'es2022', lib: { entry: 'bench-entry', formats: ['es'], fileName: 'bundle' } } });
const outputs = (Array.isArray(out) ? out : [out]).flatMap((o: any) => o.output);
for (const c of outputs) {
  if (c.type !== 'chunk') continue;
  const m = (await transform(c.code, { minify: true, format: 'esm', target: 'es2022' })).code;
  console.log(`== ${c.fileName} entry=${c.isEntry} imports=${c.imports} dyn=${c.dynamicImports} min=${m.length} gz=${gzipSync(m, { level: 9 }).length}`);
  if (process.env.DUMP) (await import('node:fs')).writeFileSync(`/tmp/bundle-work/${c.fileName}`, m);
  const rows = Object.entries(c.modules as Record<string, any>).map(([id, v]) => [v.renderedLength, id.replace(ROOT, '')] as const).filter(r => r[0] > 0).sort((a, b) => b[0] - a[0]);
  for (const [n, id] of rows) console.log(String(n).padStart(7), id);
}
