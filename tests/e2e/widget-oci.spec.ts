/**
 * <model-verify src="oci://…"> in Chromium against a real registry (Debian's docker-registry on 127.0.0.1,
 * tests/helpers/oci-registry.ts): an ORAS-style artifact pushed by the test and its manifest signed with the
 * reference's key. The registry sends no CORS headers, so page.route relays its answers with them (as a registry
 * serving pages must); every byte still comes from the registry. Verified by tag; an image whose layer differs from
 * the signed one fails; no signature URL is a setup error. The same in the app's URL mode.
 */
import { expect, test, type Page } from '@playwright/test';
import { keySigner, readPrivateKey, signOciManifest } from '../../core/index.js';
import { STATIC_URL } from '../../playwright.config.js';
import { pushImage, registryAvailable, startRegistry, type Registry } from '../helpers/oci-registry.js';
import { orasArtifact, TINY_MODEL } from '../oci/images.js';
import { refKey } from '../sign/helpers.js';
import { PUBLIC_KEY } from './support/goldens.js';

let reg: Registry | undefined;
let signature: Uint8Array;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

test.beforeAll(async () => {
  if (!registryAvailable()) return;
  reg = await startRegistry();
  const good = orasArtifact();
  const manifest = json(good.manifest);
  await pushImage(reg.url, 'test/tiny-model', 'v1', [good.config.bytes, ...good.layers.map((l) => l.bytes)], manifest);
  signature = (await signOciManifest(manifest, 'tiny-model', keySigner(await readPrivateKey(refKey('signing-key.pem'))))).bundle;
  // The same names, one layer's bytes changed: what a compromised registry or a re-push would serve.
  const evil = orasArtifact({ ...TINY_MODEL, 'model.safetensors': 'poisoned-weights!!\n' });
  await pushImage(reg.url, 'test/tiny-model', 'evil', [evil.config.bytes, ...evil.layers.map((l) => l.bytes)], json(evil.manifest));
});
test.afterAll(async () => reg?.stop());

async function relay(page: Page): Promise<string[]> {
  const asked: string[] = [];
  await page.route(`${reg!.url}/v2/**`, async (route) => {
    asked.push(new URL(route.request().url()).pathname);
    const res = await route.fetch();
    await route.fulfill({
      response: res,
      headers: { ...res.headers(), 'access-control-allow-origin': '*', 'access-control-expose-headers': 'docker-content-digest' },
    });
  });
  await page.route(`${STATIC_URL}/oci-signature/model.sig`, (route) => route.fulfill({ body: Buffer.from(signature), contentType: 'application/json' }));
  return asked;
}

interface Result {
  verified: boolean;
  report: { errors: { code: string; resource?: string }[]; resources: { name: string; status: string }[]; model: { name: string } };
}

async function verify(page: Page, src: string, signatureUrl: string): Promise<Result> {
  await page.goto(`${STATIC_URL}/pages/blank.html`);
  return page.evaluate(
    ({ src, signatureUrl }) =>
      new Promise<Result>((resolve) => {
        const el = document.createElement('model-verify');
        el.addEventListener('verify-result', (e) => resolve((e as CustomEvent).detail));
        const attrs: Record<string, string> = {
          src,
          method: 'key',
          'public-key': '/fixtures/keys/certificate/signing-key-pub.pem',
          'plain-http': '',
          auto: '',
        };
        if (signatureUrl) attrs.signature = signatureUrl;
        for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
        document.body.append(el);
      }),
    { src, signatureUrl },
  );
}

test.describe('the app and OCI registries', () => {
  test.beforeEach(() => test.skip(!reg, 'no docker-registry (node scripts/ensure-registry.mjs installs it as root)'));

  test('an image typed as oci://… verifies against the signature URL given; without one, a note at that field', async ({ page }) => {
    await relay(page);
    await page.goto('/');
    await page.getByLabel('From a URL').check();
    await page.getByLabel(/Model base URL/).fill(`oci://${reg!.host}/test/tiny-model:v1`);
    await page.getByLabel('Signature URL').fill(`${STATIC_URL}/oci-signature/model.sig`);
    await expect(page.locator('#detected-method')).toContainText('Signed with a key');
    await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
    await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
    await expect(page.locator('fieldset[aria-busy="true"]')).toHaveCount(0);
    await page.getByRole('button', { name: 'Verify model' }).click();
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
    await expect(page.locator('#verdict')).toContainText('tiny-model');
    await page.getByLabel(/Model base URL/).fill(`oci://${reg!.host}/test/tiny-model:evil`);
    await page.getByRole('button', { name: 'Verify model' }).click();
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'failed', { timeout: 30_000 });
    await expect(page.locator('#verdict')).toContainText('model.safetensors');
    // Without a signature URL (a registry has no standard place for one): a note at that field, not a verdict.
    await page.getByLabel('Signature URL').fill('');
    await expect(page.locator('fieldset[aria-busy="true"]')).toHaveCount(0);
    await page.getByRole('button', { name: 'Verify model' }).click();
    await expect(page.locator('#signature-url-note')).toContainText('no standard place');
    await expect(page.locator('#verdict')).toHaveCount(0);
  });
});

test.describe('<model-verify> and OCI registries', () => {
  test.beforeEach(() => test.skip(!reg, 'no docker-registry (node scripts/ensure-registry.mjs installs it as root)'));

  test('an ORAS artifact verifies by tag; an image with a changed layer does not; no signature URL is a setup error', async ({ page }) => {
    const asked = await relay(page);
    const ok = await verify(page, `oci://${reg!.host}/test/tiny-model:v1`, '/oci-signature/model.sig');
    expect(ok.report.errors).toEqual([]);
    expect(ok.verified).toBe(true);
    expect(ok.report.model.name).toBe('tiny-model');
    expect(ok.report.resources.map((r) => `${r.name}:${r.status}`)).toEqual(['config.json:ok', 'model.safetensors:ok', 'tokenizer.json:ok']);
    // The bytes were the registry's: the manifest by tag, then every blob by digest.
    expect(asked.some((p) => p.endsWith('/manifests/v1'))).toBe(true);
    expect(asked.filter((p) => p.includes('/blobs/sha256:')).length).toBeGreaterThanOrEqual(3);

    const evil = await verify(page, `oci://${reg!.host}/test/tiny-model:evil`, '/oci-signature/model.sig');
    expect(evil.verified).toBe(false);
    expect(evil.report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });

    const unsigned = await verify(page, `oci://${reg!.host}/test/tiny-model:v1`, '');
    expect(unsigned.verified).toBe(false);
    expect(unsigned.report.errors[0]?.code).toBe('INPUT_MISSING');
  });
});
