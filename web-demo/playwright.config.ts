// Playwright runs the web demo in Debian's Chromium (no downloaded browsers).
// `npx playwright test -c web-demo/playwright.config.ts` from the repo root.
// A missing Chromium makes every test fail at launch (never a skip).
import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';

const r = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
/** Debian's Chromium unless CHROMIUM_PATH says otherwise. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: r('test'),
  testMatch: '*.spec.ts',
  // Node-side imports of @sigsum-kit/sdk resolve to the SDK source, like the browser build.
  tsconfig: r('../tsconfig.tests.json'),
  outputDir: r('test-results/artifacts'),
  // Builds the demo with Vite and serves the build on a free 127.0.0.1 port (WEB_DEMO_URL).
  globalSetup: r('test/global-setup.ts'),
  timeout: 120_000,
  expect: { timeout: 20_000 },
  // Two cores shared with other work: one browser at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  reporter: [['line']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: chromiumPath,
      // Root in CI containers cannot use Chromium's sandbox.
      args: ['--no-sandbox'],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
});
