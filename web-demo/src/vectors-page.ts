/// <reference types="vite/client" />
// The browser harness: imports every module of the shared vector suite through
// the SDK's browser build and publishes the results on `window.__vectorResults`
// for the Playwright test (which compares them with the same suites run in Node).
import { runSuites, suiteName, verdictLines, type SuiteModule, type SuiteRun } from './suites.js';
import { ed25519Backend } from '@sigsum-kit/sdk';
import { el } from './ui.js';

declare global {
  interface Window {
    /** Set when every suite finished: the runs, in a stable order. */
    __vectorResults?: SuiteRun[];
    /** Set when the harness itself failed (e.g. a module did not load). */
    __vectorError?: string;
    /** The SDK's default Ed25519 path in this browser. */
    __ed25519Backend?: string;
  }
}

// Every suite module except the shared result type; new suites are picked up automatically.
const modules = import.meta.glob<SuiteModule>(['../../test-vectors/suite/*.ts', '!../../test-vectors/suite/types.ts']);

async function main(): Promise<void> {
  const status = document.getElementById('status')!;
  const summary = document.getElementById('summary')!;
  const loaded: Array<[string, SuiteModule]> = [];
  for (const [path, load] of Object.entries(modules)) loaded.push([suiteName(path), await load()]);
  const t0 = performance.now();
  const runs = await runSuites(loaded);
  const ms = performance.now() - t0;
  const all = runs.flatMap((r) => r.results);
  const failed = all.filter((c) => !c.pass);
  const threw = runs.filter((r) => r.error !== undefined);
  const backend = await ed25519Backend();
  window.__ed25519Backend = backend;
  status.textContent = `Ed25519 by ${backend}. ${all.length} cases in ${runs.length} suite functions from ${loaded.length} modules: ${all.length - failed.length} passed, ${failed.length} failed, ${threw.length} suites threw (${ms.toFixed(0)} ms)`;
  status.className = failed.length === 0 && threw.length === 0 ? 'ok' : 'bad';
  const table = el('table', { class: 'cases' }, [
    el('tr', {}, [el('th', {}, ['suite']), el('th', {}, ['cases']), el('th', {}, ['passed']), el('th', {}, ['failed'])]),
    ...runs.map((r) => {
      const bad = r.results.filter((c) => !c.pass).length;
      return el('tr', { class: bad > 0 || r.error ? 'bad' : '' }, [
        el('td', {}, [r.suite]),
        el('td', {}, [String(r.results.length)]),
        el('td', {}, [String(r.results.length - bad)]),
        el('td', {}, [r.error ?? String(bad)]),
      ]);
    }),
  ]);
  summary.replaceChildren(table);
  if (failed.length > 0) {
    summary.append(el('pre', { class: 'failures' }, [verdictLines(runs.map((r) => ({ ...r, results: r.results.filter((c) => !c.pass) }))).slice(0, 200).join('\n')]));
  }
  window.__vectorResults = runs;
}

main().catch((e: unknown) => {
  window.__vectorError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const status = document.getElementById('status');
  if (status) { status.textContent = `harness failed: ${window.__vectorError}`; status.className = 'bad'; }
});
