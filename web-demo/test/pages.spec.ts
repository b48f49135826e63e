// Each page of the demo loads without errors in Chromium; screenshots are kept.
import { test, expect } from '@playwright/test';
import { demoUrl, saveScreenshot } from './helpers.js';

for (const page of ['verify', 'submit', 'explore'] as const) {
  test(`page ${page} renders without errors`, async ({ page: p }) => {
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await p.goto(`${demoUrl()}/index.html#${page}`);
    await expect(p.locator(`section#${page} h2`)).toBeVisible();
    await expect(p.locator(`nav.tabs a[data-tab=${page}]`)).toHaveClass(/active/);
    await saveScreenshot(p, `page-${page}`);
    expect(errors).toEqual([]);
  });
}
