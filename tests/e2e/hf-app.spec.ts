/**
 * The app verifies a Hugging Face repository typed as `org/model`: Chromium's requests to https://huggingface.co are
 * answered by the Hub double (tests/helpers/hub-double.ts) through a Playwright route; its 302s lead to the double's
 * "CDN" on a real loopback server (a redirect out of a fulfilled route goes to the network, not to another route), so
 * the page's own fetch follows the redirect cross-origin under CORS as it would against the Hub.
 */
import { expect, test, type Page } from '@playwright/test';
import { HubDouble, sha256Hex } from '../helpers/hub-double.js';
import { publishSigned, sampleModel } from '../hf/publish.js';
import { serveHub, type ServedHub } from '../hf/hub-server.js';

const hub = new HubDouble();
let served: ServedHub;
test.beforeAll(async () => {
  served = await serveHub(hub);
  hub.hubOrigin = 'https://huggingface.co'; // the app's default endpoint; the CDN stays on loopback
});
test.afterAll(() => served.close());

async function routeHub(page: Page): Promise<void> {
  await page.route(/^https:\/\/huggingface\.co\//, async (route) => {
    const req = route.request();
    const r = await hub.handle(new Request(req.url(), { method: req.method(), headers: await req.allHeaders() }));
    await route.fulfill({ status: r.status, headers: Object.fromEntries(r.headers), body: Buffer.from(await r.arrayBuffer()) });
  });
}

async function verifyRepo(page: Page, spec: string, publicKey: string, token?: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('From a URL').check();
  await page.getByLabel(/Model base URL/).fill(spec);
  if (token) await page.getByLabel(/Hugging Face token/).fill(token);
  await page.getByLabel('Public key', { exact: true }).check();
  await page.locator('#public-key').fill(publicKey);
  await expect(page.locator('fieldset[aria-busy="true"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Verify model' }).click();
}

test.describe('verify app: Hugging Face repositories', () => {
  test('org/model verifies at its commit; tampering on the CDN fails; gated needs a token', async ({ page }) => {
    await routeHub(page);
    const files = sampleModel();
    const p = await publishSigned(hub, 'org/model', files);
    await verifyRepo(page, 'org/model', p.publicKeyPem);
    const verdict = page.locator('#verdict');
    await expect(verdict).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
    const json = page.locator('#json');
    await expect(json).toContainText(`"commit": "${p.commit}"`);
    await expect(json).toContainText('"status": "match"');

    hub.cdnOverride.set(await sha256Hex(files['model.safetensors'] as Uint8Array), new Uint8Array(5000));
    await verifyRepo(page, 'org/model', p.publicKeyPem);
    await expect(verdict).toHaveAttribute('data-verdict', 'failed', { timeout: 30_000 });
    await expect(verdict).toContainText('model.safetensors');
    hub.cdnOverride.clear();

    const g = await publishSigned(hub, 'org/gated', files, { token: 'hf_page' });
    await verifyRepo(page, 'org/gated', g.publicKeyPem);
    await expect(page.getByText(/HTTP 401/).first()).toBeVisible({ timeout: 30_000 });
    await verifyRepo(page, 'org/gated', g.publicKeyPem, 'hf_page');
    await expect(verdict).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
  });
});
