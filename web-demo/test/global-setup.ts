// Builds the web demo (both pages) with Vite and serves the build with
// `vite preview` on a free 127.0.0.1 port. Tests read the URL from
// WEB_DEMO_URL (environment set here is inherited by the test workers).
import { build, preview } from 'vite';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from '../playwright.config.js';

const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(chromiumPath)) {
    // Do not stop here: every test then fails at browser launch with this path in the message.
    console.error(`Chromium not found at ${chromiumPath} (set CHROMIUM_PATH); browser tests will fail`);
  }
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  process.env.WEB_DEMO_URL = url.replace(/\/$/, '');
  return async () => {
    await server.close();
  };
}
