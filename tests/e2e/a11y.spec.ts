/**
 * Accessibility of the app and the element, checked by axe-core in Debian's Chromium: WCAG 2.x A/AA rules and
 * axe's best practices (landmarks, regions, headings), on the screens a user meets — the Verify page before and
 * after a verdict (verified and failed), the Sign page, and a page of <model-verify> badges. Any violation fails
 * the test with axe's own description of it.
 */
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { FIXTURES, PUBLIC_KEY, tamperedCopy } from './support/goldens.js';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

async function violations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function verifyKeyFolder(page: Page, folder: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Public key', { exact: true }).check();
  await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
  await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
  await page.locator('#model-folder').setInputFiles(folder);
  await expect(page.getByText(/Model: /)).toBeVisible();
  await expect(page.locator('fieldset[aria-busy="true"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Verify model' }).click();
}

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`${scheme} mode`, () => {
    test.use({ colorScheme: scheme });

    test('the Verify page as it opens', async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('button', { name: 'Verify model' })).toBeVisible();
      expect(await violations(page)).toEqual([]);
    });

    test('a verified report', async ({ page }) => {
      await verifyKeyFolder(page, join(FIXTURES, 'v1.1.0-elliptic-key'));
      await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
      expect(await violations(page)).toEqual([]);
    });

    test('a failed report', async ({ page }) => {
      await verifyKeyFolder(page, tamperedCopy('v1.1.0-elliptic-key', 'signme-1'));
      await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'failed', { timeout: 30_000 });
      expect(await violations(page)).toEqual([]);
    });

    test('the Sign page', async ({ page }) => {
      await page.goto('/#sign');
      await expect(page.getByRole('button', { name: 'Sign model' })).toBeVisible();
      expect(await violations(page)).toEqual([]);
    });

    test('a page of <model-verify> badges, verified and failed', async ({ page }) => {
      await page.goto(`${STATIC_URL}/pages/widget.html`);
      // Every badge has reached its verdict (status reflects it), so both kinds of result are on the page.
      await expect(page.locator('model-verify:not([status="verified"]):not([status="failed"])')).toHaveCount(0, { timeout: 60_000 });
      await expect(page.locator('model-verify[status="failed"]').first()).toBeAttached();
      expect(await violations(page)).toEqual([]);
    });
  });
}
