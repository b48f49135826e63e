/**
 * The SDK in the browser vs in Node: proofs/s for `verifyProof` on the Go
 * vector proof s100-i57 (tree of 100, 4 cosignatures, nested quorum, policy
 * parsed once), measured in Debian's Chromium (headless, through Playwright)
 * and in this Node process in the same run, alternating, best round of each.
 * Baseline: Node. The browser side is a Vite build of the SDK source (the same
 * alias the web demo uses), served on 127.0.0.1 (a secure context, so
 * WebCrypto's Ed25519 is available).
 *
 * Run: npx tsx bench/web-demo.bench.ts     (CHROMIUM_PATH, default /usr/bin/chromium)
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { chromium } from '@playwright/test';
import { loadSigsumVectors } from '@sigsum-kit/test-vectors';
import { verifyWorkload, type VerifyFigures, type VerifyInput } from './web-demo-workload.js';

const ROUNDS = 3;
const ROUND_MS = 500;
const CONCURRENT = 8;
const r = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Bundle the workload plus the SDK source for the browser, in memory. */
async function browserBundle(): Promise<string> {
  const entry = '\0bench-entry';
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: [{ find: /^@sigsum-kit\/sdk$/, replacement: r('../sdk/src/index.ts') }] },
    plugins: [{
      name: 'bench-entry',
      resolveId: (id) => (id === entry ? id : null),
      load: (id) => (id === entry
        ? `import * as sdk from '@sigsum-kit/sdk';\nimport { verifyWorkload } from ${JSON.stringify(r('./web-demo-workload.ts'))};\nwindow.__bench = (input, rounds, ms, c) => verifyWorkload(sdk, input, rounds, ms, c);\nwindow.__ready = true;\n`
        : null),
    }],
    build: { write: false, minify: true, target: 'es2022', rolldownOptions: { input: entry, output: { format: 'es', codeSplitting: false } } },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const chunk = (Array.isArray(out) ? out[0]! : out).output.find((o) => o.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('no bundle');
  return chunk.code;
}

async function main(): Promise<void> {
  const v = (await loadSigsumVectors('proofs')) as { cases: Array<{ name: string; proof: string; policy: string; key_file: string; data: string }> };
  const c = v.cases.find((x) => x.name === 's100-i57')!;
  const input: VerifyInput = { proof: c.proof, policy: c.policy, keyFile: c.key_file, dataHex: c.data };

  const code = await browserBundle();
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(code); return; }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true);
    const sdk = await import('../sdk/src/index.js');
    const best = { node: undefined as VerifyFigures | undefined, browser: undefined as VerifyFigures | undefined };
    const keep = (a: VerifyFigures | undefined, b: VerifyFigures): VerifyFigures => (a === undefined ? b : { backend: b.backend, sequential: Math.max(a.sequential, b.sequential), concurrent: Math.max(a.concurrent, b.concurrent) });
    // Alternate the two sides so both see the same machine load.
    for (let i = 0; i < ROUNDS; i++) {
      best.node = keep(best.node, await verifyWorkload(sdk, input, 1, ROUND_MS, CONCURRENT));
      best.browser = keep(best.browser, await page.evaluate(
        ([inp, ms, conc]) => (window as unknown as { __bench: (i: unknown, r: number, m: number, c: number) => Promise<VerifyFigures> }).__bench(inp, 1, ms, conc),
        [input, ROUND_MS, CONCURRENT] as const,
      ));
    }
    const n = best.node!;
    const b = best.browser!;
    const version = browser.version();
    console.log(`web-demo: verifyProof (s100-i57: tree 100, 4 cosignatures, nested quorum), best of ${ROUNDS} rounds of ${ROUND_MS} ms`);
    console.log(`  Node ${process.versions.node} (${n.backend}):  ${n.sequential.toFixed(0)} proofs/s one at a time, ${n.concurrent.toFixed(0)} proofs/s with ${CONCURRENT} in flight  [baseline]`);
    console.log(`  Chromium ${version} (${b.backend}):  ${b.sequential.toFixed(0)} proofs/s one at a time, ${b.concurrent.toFixed(0)} proofs/s with ${CONCURRENT} in flight`);
    console.log(`  ratio browser/Node: ${(b.sequential / n.sequential).toFixed(2)}x one at a time, ${(b.concurrent / n.concurrent).toFixed(2)}x concurrent`);
    console.log(`  browser bundle (SDK + workload, minified): ${(code.length / 1024).toFixed(1)} KB`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
