/** The verify app (dist/app via vite preview) in Debian's Chromium: folder uploads of every golden. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { sigstoreAvailable } from './support/capabilities.js';
import { CA_CERT, FIXTURES, GOLDENS, PUBLIC_KEY, SIGSTORE_IDENTITY, SIGSTORE_ISSUER, tamperedCopy, type Golden } from './support/goldens.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
/** Screenshots for the README are rewritten only on request, so `npm test` leaves the tree clean. */
const takeShots = process.env.SCREENSHOTS === '1';

async function fillPolicy(page: Page, g: Golden): Promise<void> {
  if (g.method === 'sigstore') {
    await page.getByLabel('Sigstore identity').check();
    await page.getByLabel('Signer identity (email or URI)').fill(SIGSTORE_IDENTITY);
    await page.getByLabel('OIDC issuer').fill(SIGSTORE_ISSUER);
  } else if (g.method === 'key') {
    await page.getByLabel('Public key', { exact: true }).check();
    await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
    await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
  } else {
    await page.getByLabel('Certificate chain').check();
    await page.locator('#certificate-chain-file').setInputFiles(CA_CERT);
    await expect(page.locator('#certificate-chain')).toHaveValue(/BEGIN CERTIFICATE/);
  }
  if (g.ignoreMe) {
    await page.getByText('Options').click();
    await page.getByLabel(/Ignore these paths/).fill('ignore-me');
  }
}

async function verifyFolder(page: Page, g: Golden, folder: string): Promise<void> {
  await page.goto('/');
  await fillPolicy(page, g);
  await page.locator('#model-folder').setInputFiles(folder);
  await expect(page.getByText(/Model: /)).toContainText(g.name);
  await page.getByRole('button', { name: 'Verify model' }).click();
}

test.describe('verify app', () => {
  for (const g of GOLDENS) {
    test(`${g.name} verifies from a folder upload`, async ({ page }) => {
      if (g.method === 'sigstore') test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
      await verifyFolder(page, g, join(FIXTURES, g.name));
      const verdict = page.locator('#verdict');
      await expect(verdict).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
      await expect(verdict).toContainText('Verified');
      if (g.method === 'sigstore') await expect(verdict).toContainText(SIGSTORE_IDENTITY);
      const rows = page.locator('table.files tbody tr');
      await expect(rows).toHaveCount(g.singleFile ? 1 : 2);
      for (const status of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))) expect(status).toBe('ok');
      const shot = { 'v1.1.0-certificate': 'app-verified.png', 'v1.1.0-sigstore': 'app-verified-sigstore.png' }[g.name];
      if (takeShots && shot) {
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
      }
    });
  }

  test('a copy with one flipped byte names the modified file', async ({ page }) => {
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    await verifyFolder(page, g, tamperedCopy(g.name, 'signme-2'));
    const verdict = page.locator('#verdict');
    await expect(verdict).toHaveAttribute('data-verdict', 'failed', { timeout: 30_000 });
    await expect(verdict).toContainText('Not verified');
    await expect(verdict).toContainText('File signme-2 was modified');
    await expect(page.locator('tr[data-file="signme-2"]')).toHaveAttribute('data-status', 'mismatch');
    await expect(page.locator('tr[data-file="signme-2"]')).toContainText('modified');
    await expect(page.locator('tr[data-file="signme-1"]')).toHaveAttribute('data-status', 'ok');
    if (takeShots) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'app-failed.png'), fullPage: true });
    }
  });

  test('the wrong key is reported as a wrong key, not a crash', async ({ page }) => {
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
    await page.goto('/');
    await page.getByLabel('Public key', { exact: true }).check();
    await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
    await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await page.getByRole('button', { name: 'Verify model' }).click();
    const verdict = page.locator('#verdict');
    await expect(verdict).toHaveAttribute('data-verdict', 'failed');
    await expect(verdict).toContainText('different verification method');
  });
});
