import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Unit and integration tests run from TypeScript sources; integration tests that
// spawn real processes use the built dist/ (the test command builds first).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@sigsum-kit\/sdk\/node$/, replacement: r('./sdk/src/node.ts') },
      { find: /^@sigsum-kit\/sdk\/internal$/, replacement: r('./sdk/src/internal.ts') },
      { find: /^@sigsum-kit\/sdk$/, replacement: r('./sdk/src/index.ts') },
      { find: /^@sigsum-kit\/reference-log$/, replacement: r('./reference-log/src/index.ts') },
    ],
  },
  test: {
    include: ['sdk/test/**/*.test.ts', 'reference-log/test/**/*.test.ts', 'test-vectors/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
