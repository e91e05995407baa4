/**
 * The Sign page finds the signing relay only when the serving Worker offers one: served by the real Worker
 * (`npm start`: wrangler dev, workerd), keyless signing with public-good Sigstore says that the operator's
 * Worker relays sign-in and what it sees; served by a plain static server (vite preview) it says nothing of the
 * kind and keeps the paste-a-token hint. No Sigstore call is made (nothing here reaches the network).
 */
import { expect, test, type Page } from '@playwright/test';
import { startLocalEdge, type LocalEdge } from '../helpers/local-edge.js';

let server: LocalEdge | undefined;
let workerBase = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // dist/app was built by the Playwright web server; wrangler dev serves it with the Worker in front.
  server = await startLocalEdge('mv-e2e-proxy-');
  workerBase = server.base;
});

test.afterAll(async () => {
  await server?.stop();
});

async function keyless(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/#sign`);
  await page.getByLabel('Sigstore (keyless)').check();
  await expect(page.getByLabel('Public-good Sigstore')).toBeChecked();
}

test('served by the Worker: sign-in goes through its relay, and the page says what the relay sees', async ({ page }) => {
  const info = page.waitForResponse((r) => r.url() === `${workerBase}/api/v1/proxy/info`);
  await keyless(page, workerBase);
  expect((await info).status()).toBe(200);
  const note = page.locator('#relay-note');
  await expect(note).toBeVisible();
  await expect(note).toContainText('relays those calls');
  await expect(note).toContainText('identity token');
  await expect(page.getByText('paste an identity token instead')).toHaveCount(0);
});

test('served statically (no Worker): no relay, no note, the paste-a-token hint stays', async ({ page, baseURL }) => {
  await keyless(page, baseURL!);
  await expect(page.getByText('paste an identity token instead')).toBeVisible();
  await expect(page.locator('#relay-note')).toHaveCount(0);
});
