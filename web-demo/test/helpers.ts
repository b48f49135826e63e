// Shared helpers of the Playwright tests.
import type { Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Screenshots kept as test artifacts (web-demo/test-results/screenshots). */
export const screenshotDir = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));

/** The served demo (set by global-setup). */
export function demoUrl(): string {
  const u = process.env.WEB_DEMO_URL;
  if (!u) throw new Error('WEB_DEMO_URL is not set: global setup did not run');
  return u;
}

/** Save a full-page screenshot as a test artifact. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
}
