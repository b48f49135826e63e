// The demo's build refuses Node builtins: the guard that keeps the browser
// bundle (and so the SDK core it pulls in) isomorphic.
import { test, expect } from '@playwright/test';
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

/** Build a one-module entry with the demo's config; resolves to the error message, or '' when it built. */
async function buildEntry(code: string): Promise<string> {
  const entry = '\0guard-entry';
  try {
    await build({
      configFile,
      logLevel: 'silent',
      plugins: [{ name: 'guard-entry', resolveId: (id) => (id === entry ? id : null), load: (id) => (id === entry ? code : null) }],
      build: { write: false, rollupOptions: { input: entry } },
    });
    return '';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

test('build: a Node builtin in the browser bundle fails the build, naming it', async () => {
  expect(await buildEntry("import { readFileSync } from 'node:fs'; console.log(readFileSync);")).toContain('browser bundle imports Node builtin "node:fs"');
  expect(await buildEntry("import { createHash } from 'crypto'; console.log(createHash);")).toContain('browser bundle imports Node builtin "crypto"');
});

test('build: the whole SDK builds for the browser', async () => {
  expect(await buildEntry("import * as sdk from '@sigsum-kit/sdk'; console.log(Object.keys(sdk).length);")).toBe('');
});
