// Lint is part of the test command. The pure SDK core must not reach Node-only modules.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'fs/promises', 'path', 'os', 'net', 'child_process', 'crypto', 'http', 'https', 'url', 'util', 'stream', 'buffer', 'dns', 'dgram', 'better-sqlite3', 'fastify'];
const nodeOnlyMessage = 'the isomorphic SDK core must not import Node-only modules; put this in a node.ts module';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test-vectors/data/**', 'web-demo/dist/**', 'web-demo/test-results/**', '.stack/**', 'data/**', 'docs/api/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The isomorphic core: everything in sdk/src except the Node-only folders and entry.
    files: ['sdk/src/**/*.ts'],
    ignores: ['sdk/src/node.ts', 'sdk/src/**/node.ts', 'sdk/src/**/node/**', 'sdk/src/cli/**', 'sdk/src/monitor/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: nodeOnlyMessage })),
        patterns: [{ group: ['node:*'], message: nodeOnlyMessage }],
      }],
    },
  },
);
