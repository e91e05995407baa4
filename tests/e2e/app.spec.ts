/** The verify app (dist/app via vite preview) in Debian's Chromium: folder uploads of every golden. */
import { mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { sigstoreAvailable } from './support/capabilities.js';
import { CA_CERT, FIXTURES, GOLDENS, PUBLIC_KEY, SIGSTORE_IDENTITY, SIGSTORE_ISSUER, tamperedCopy, type Golden } from './support/goldens.js';

const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
/** Screenshots for the README are rewritten only on request, so `npm test` leaves the tree clean. */
const takeShots = process.env.SCREENSHOTS === '1';

/** Verify, once the chosen signature has been read (its "Who signed this?" panel moves the button down). */
async function clickVerify(page: Page): Promise<void> {
  await expect(page.locator('fieldset[aria-busy="true"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Verify model' }).click();
}

async function fillPolicy(page: Page, g: Golden): Promise<void> {
  if (g.method === 'sigstore') {
    await page.getByLabel('Sigstore identity').check();
    // Tests are offline: the snapshot built into the page (the default, TUF, is tested below).
    await page.getByLabel('Built into this page (offline)').check();
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
  await clickVerify(page);
}

test.describe('verify app', () => {
  for (const g of GOLDENS) {
    test(`${g.name} verifies from a folder upload`, async ({ page }) => {
      if (g.method === 'sigstore') test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
      await verifyFolder(page, g, join(FIXTURES, g.name));
      const verdict = page.locator('#verdict');
      await expect(verdict).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
      await expect(verdict).toContainText('Verified');
      if (g.method === 'sigstore') {
        await expect(verdict).toContainText(SIGSTORE_IDENTITY);
        const signer = page.getByRole('region', { name: 'Signer' });
        await expect(signer).toContainText(SIGSTORE_ISSUER);
        await expect(signer.getByRole('link')).toHaveAttribute('href', /^https:\/\/search\.sigstore\.dev\/\?logIndex=\d+$/);
      }
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

  test('shows live progress (MB/s, time left) and Cancel stops a long verification', async ({ page }) => {
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    const dir = tamperedCopy(g.name, 'signme-2');
    truncateSync(join(dir, 'signme-2'), 2 * 1024 ** 3); // a sparse 2 GiB file: long enough to cancel mid-way
    await verifyFolder(page, g, dir);
    const progress = page.getByRole('region', { name: 'Progress' });
    await expect(progress).toContainText('Hashing the model files', { timeout: 30_000 });
    await expect(progress).toContainText(/of 2.0 GiB · \d of 2 files · [\d.]+ MB\/s · about .+ left/, { timeout: 30_000 });
    await expect(page.getByRole('progressbar', { name: 'Bytes hashed' })).toBeVisible();
    await expect(progress).toContainText(/Now hashing signme-\d/);
    // The panel stays at the top of the viewport wherever the page is scrolled.
    await page.setViewportSize({ width: 1000, height: 420 });
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expect.poll(async () => (await progress.boundingBox())?.y).toBeLessThanOrEqual(1);
    await expect(progress).toBeInViewport();
    await page.getByRole('button', { name: 'Cancel' }).click();
    const verdict = page.locator('#verdict');
    await expect(verdict).toHaveAttribute('data-verdict', 'failed');
    await expect(verdict).toContainText('Verification was cancelled');
    await expect(page.getByRole('button', { name: 'Verify model' })).toBeEnabled();
  });

  test('verifies a model by URL (cross-origin, CORS) and explains the limits of remote checks', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('From a URL').check();
    await expect(page.getByText('unsigned files')).toBeVisible();
    await page.getByLabel(/Model base URL/).fill(`${STATIC_URL}/fixtures/v1.0.1-certificate/`);
    await page.getByLabel('Signature URL').fill(`${STATIC_URL}/fixtures/v1.0.1-certificate/model.sig`);
    await expect(page.locator('#detected-method')).toContainText('Signed with a certificate'); // read from the fetched signature
    await page.locator('#certificate-chain-file').setInputFiles(CA_CERT);
    await expect(page.locator('#certificate-chain')).toHaveValue(/BEGIN CERTIFICATE/);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
    // What every HTTP model cannot do is information, not a warning, on success.
    await expect(page.locator('p.info')).toContainText('cannot list its files');
    await expect(page.locator('ul.warnings')).toHaveCount(0);

    await page.getByLabel(/Model base URL/).fill(`${STATIC_URL}/tampered/v1.0.1-certificate/`);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'failed');
    await expect(page.locator('#verdict')).toContainText('File signme-1 was modified');

    // An unreachable or CORS-refusing server is a note at the signature URL naming the headers to send, not a verdict.
    await page.getByLabel('Signature URL').fill('http://127.0.0.1:9/model.sig');
    await clickVerify(page);
    const note = page.locator('#signature-url-note');
    await expect(note).toHaveAttribute('role', 'alert');
    await expect(note).toContainText('Access-Control-Allow-Origin');
    await expect(note).toContainText('Access-Control-Expose-Headers: Content-Length, Content-Range');
    await expect(page.getByLabel('Signature URL')).toHaveAttribute('aria-describedby', /signature-url-note/);
    await expect(page.locator('#verdict')).toHaveCount(0);
  });

  test('a check by URL is shareable: the link carries the settings in its fragment and re-runs the check where it is opened', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/');
    await page.getByLabel('From a URL').check();
    await page.getByLabel(/Model base URL/).fill(`${STATIC_URL}/fixtures/v1.1.0-elliptic-key/`);
    await expect(page.locator('#detected-method')).toContainText('Signed with a key'); // BASE/model.sig, fetched
    await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
    await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
    await expect(page.locator('#verdict')).toContainText('signed by signing-key-pub.pem (key e8450dec4eb9…)');
    await page.getByRole('button', { name: 'Copy link to this check' }).click();
    await expect(page.getByText('Link copied')).toBeVisible();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    const url = new URL(link);
    expect(url.search).toBe('');
    expect(url.hash).toMatch(/^#verify\?/);
    const q = new URLSearchParams(url.hash.slice('#verify?'.length));
    expect(q.get('model')).toBe(`${STATIC_URL}/fixtures/v1.1.0-elliptic-key/`);
    expect(q.get('method')).toBe('key');
    expect(q.get('public-key')).toContain('BEGIN PUBLIC KEY');
    expect(q.get('key-name')).toBe('signing-key-pub.pem');

    // Opened in a fresh page: the form shows every setting and the check runs again there.
    const other = await context.newPage();
    await other.goto(link);
    await expect(other.locator('#verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
    await expect(other.getByLabel(/Model base URL/)).toHaveValue(`${STATIC_URL}/fixtures/v1.1.0-elliptic-key/`);
    await expect(other.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
    // The same settings on a tampered copy fail there too: a link carries settings, never a verdict.
    const tampered = link.replace(encodeURIComponent('/fixtures/v1.1.0-elliptic-key/'), encodeURIComponent('/tampered/v1.1.0-elliptic-key/'));
    expect(tampered).not.toBe(link);
    await other.goto(tampered);
    await expect(other.locator('#verdict')).toHaveAttribute('data-verdict', 'failed', { timeout: 30_000 });
    // A link with an unknown method or a non-http model URL fills nothing and runs nothing.
    for (const bad of ['/#verify?method=evil&model=https://example.invalid/', '/#verify?method=key&model=javascript:alert(1)']) {
      const third = await context.newPage();
      await third.goto(bad);
      await expect(third.getByRole('button', { name: 'Verify model' })).toBeVisible();
      await expect(third.getByLabel('Files on this computer')).toBeChecked();
      await expect(third.locator('#verdict')).toHaveCount(0);
      await third.close();
    }
  });

  test('by URL, model files from a server that refuses cross-origin reads are a note at the model URL, not a verdict', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('From a URL').check();
    await page.getByLabel('Signature URL').fill(`${STATIC_URL}/fixtures/v1.0.1-certificate/model.sig`);
    await page.getByLabel(/Model base URL/).fill('http://127.0.0.1:9/v1.0.1-certificate/');
    await expect(page.locator('#detected-method')).toContainText('Signed with a certificate');
    await page.locator('#certificate-chain-file').setInputFiles(CA_CERT);
    await expect(page.locator('#certificate-chain')).toHaveValue(/BEGIN CERTIFICATE/);
    await clickVerify(page);
    const note = page.locator('#model-url-note');
    await expect(note).toContainText('Access-Control-Allow-Origin');
    await expect(note).toContainText('Access-Control-Allow-Headers: Range');
    await expect(page.getByLabel(/Model base URL/)).toHaveAttribute('aria-describedby', 'model-url-note');
    await expect(page.locator('#verdict')).toHaveCount(0);
  });

  test('by URL, the signature defaults to model.sig in the model folder and its method is read from it', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('From a URL').check();
    const base = `${STATIC_URL}/fixtures/v1.0.1-certificate/`;
    await page.getByLabel(/Model base URL/).fill(base);
    await expect(page.getByLabel('Signature URL')).toHaveAttribute('placeholder', `${base}model.sig`);
    await expect(page.locator('#detected-method')).toContainText('Signed with a certificate');
    await page.locator('#certificate-chain-file').setInputFiles(CA_CERT);
    await expect(page.locator('#certificate-chain')).toHaveValue(/BEGIN CERTIFICATE/);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
  });

  test('a dropped file and its model.sig verify as a single-file model', async ({ page }) => {
    const g = GOLDENS.find((x) => x.name === 'v1.0.0-elliptic-key')!;
    await page.goto('/');
    await fillPolicy(page, g);
    const files = ['signme-1', 'model.sig'].map((n) => ({ name: n, bytes: [...readFileSync(join(FIXTURES, g.name, n))] }));
    await page.locator('.dropzone').evaluate((zone, list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    await expect(page.getByText(/Model: /)).toContainText('1 file');
    await expect(page.getByText('Using model.sig')).toBeVisible();
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
    await expect(page.locator('tr[data-file="."]')).toHaveAttribute('data-status', 'ok');
  });

  test('page structure: a skip button to <main>, full digests in focusable cells, dark mode from the system setting', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('main')).toBeVisible();
    await expect(page.getByRole('banner')).toBeVisible();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('button', { name: 'Skip to the content' });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('main')).toBeFocused();

    const g = GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    await verifyFolder(page, g, join(FIXTURES, g.name));
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
    const digest = page.locator('tr[data-file="signme-1"] code.digest').first();
    await expect(digest).toHaveAttribute('tabindex', '0');
    await expect(digest).toHaveText(/^[0-9a-f]{64}$/);
    await digest.focus();
    await expect(digest).toBeFocused();

    const background = () => page.locator('mv-app').evaluate((el) => getComputedStyle(el).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(17, 19, 24)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).not.toBe('rgb(17, 19, 24)');
  });

  test('keeps working offline once loaded (service worker)', async ({ page, context }) => {
    await page.goto('/');
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'model-verify' })).toBeVisible();
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
    await fillPolicy(page, g);
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
  });

  test('a different Sigstore identity is reported as signed by someone else', async ({ page }) => {
    test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-sigstore')!;
    await verifyFolder(page, { ...g, ignoreMe: true }, join(FIXTURES, g.name));
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
    await page.getByLabel('Signer identity (email or URI)').fill('mallory@example.com');
    await clickVerify(page);
    const verdict = page.locator('#verdict');
    await expect(verdict).toHaveAttribute('data-verdict', 'failed');
    await expect(verdict).toContainText('Signed by someone else');
    // A missing issuer is a note at its field, not a red verdict.
    await page.getByLabel('OIDC issuer').fill('');
    await clickVerify(page);
    await expect(page.locator('#issuer-note')).toContainText('issuer');
    await expect(page.getByLabel('OIDC issuer')).toHaveAttribute('aria-describedby', 'issuer-note');
    await expect(page.getByLabel('OIDC issuer')).toBeFocused();
    await expect(verdict).toHaveCount(0);
  });

  test('a certificate signature asks for a CA even when a key was chosen first (no wrong-method verdict)', async ({ page }) => {
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
    await page.goto('/');
    await page.getByLabel('Public key', { exact: true }).check();
    await page.locator('#public-key-file').setInputFiles(PUBLIC_KEY);
    await expect(page.locator('#public-key')).toHaveValue(/BEGIN PUBLIC KEY/);
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await expect(page.locator('#detected-method')).toContainText('Signed with a certificate');
    await expect(page.locator('#public-key')).toHaveCount(0);
    await clickVerify(page);
    const note = page.locator('#certificate-chain-note');
    await expect(note).toContainText('CA certificate');
    await expect(page.locator('#certificate-chain')).toHaveAttribute('aria-describedby', 'certificate-chain-note');
    await expect(page.locator('#verdict')).toHaveCount(0);
    await page.locator('#certificate-chain-file').setInputFiles(CA_CERT);
    await expect(note).toHaveCount(0);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified');
  });

  for (const g of GOLDENS) {
    test(`${g.name}: the method is read from the signature as soon as the folder is chosen`, async ({ page }) => {
      await page.goto('/');
      await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
      const words = { sigstore: 'Signed with a Sigstore identity', key: 'Signed with a key', certificate: 'Signed with a certificate' }[g.method];
      await expect(page.locator('#detected-method')).toContainText(words);
      await expect(page.getByRole('radiogroup', { name: 'Signature method' })).toHaveCount(0);
      const asks = { sigstore: '#identity', key: '#public-key', certificate: '#certificate-chain' }[g.method];
      await expect(page.locator(asks)).toBeVisible();
      if (g.method === 'sigstore' && !(await sigstoreAvailable())) return;
      const claimed = page.getByRole('region', { name: 'Who signed this?' });
      await expect(claimed).toContainText('claimed — not yet required by you');
      if (g.method === 'sigstore') {
        await expect(claimed).toContainText(SIGSTORE_IDENTITY);
        await expect(claimed).toContainText(SIGSTORE_ISSUER);
        await expect(claimed.getByRole('link')).toHaveAttribute('href', /^https:\/\/search\.sigstore\.dev\/\?logIndex=\d+$/);
      } else if (g.method === 'key') {
        await expect(claimed).toContainText(g.name.startsWith('v1.1') ? /Key fingerprint \(SHA-256\)\s*[0-9a-f]{64}/ : 'none recorded');
      } else {
        await expect(claimed).toContainText('Certificate subject');
      }
      await expect(claimed.getByRole('button', { name: 'Require this signer' })).toHaveCount(g.method === 'sigstore' ? 1 : 0);
    });
  }

  test('keyless trust root: TUF by default — unreachable, it is a note at the trust field naming the offline choice, never a verdict or a silent fallback', async ({
    page,
  }) => {
    test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
    const tufAsked: string[] = [];
    await page.route('https://tuf-repo-cdn.sigstore.dev/**', (r) => {
      tufAsked.push(r.request().url());
      return r.abort('internetdisconnected');
    });
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-sigstore')!;
    await page.goto('/');
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await expect(page.locator('#detected-method')).toContainText('Signed with a Sigstore identity');
    await expect(page.getByLabel('Sigstore public good, refreshed through TUF')).toBeChecked();
    // Who claims to have signed is still shown (checked against the built-in root: no verdict is made here)...
    await expect(page.getByRole('region', { name: 'Who signed this?' })).toContainText(SIGSTORE_IDENTITY);
    await expect(page.locator('#trusted-root-note')).toContainText('could not be refreshed');
    await page.getByRole('button', { name: 'Require this signer' }).click();
    if (g.ignoreMe) {
      await page.getByText('Options').click();
      await page.getByLabel(/Ignore these paths/).fill('ignore-me');
    }
    // ...but verification does not fall back: the same problem is a note, and no verdict appears.
    await clickVerify(page);
    await expect(page.locator('#trusted-root-note')).toContainText('Built into this page');
    await expect(page.locator('#verdict')).toHaveCount(0);
    expect(tufAsked.length).toBeGreaterThan(0);
    await page.getByLabel('Built into this page (offline)').check();
    await expect(page.locator('#trusted-root-note')).toHaveCount(0);
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
    await expect(page.getByRole('region', { name: 'Signer' })).toContainText('embedded');
  });

  test('"Require this signer" fills the identity and issuer the signature claims, and the model then verifies', async ({ page }) => {
    test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
    const g = GOLDENS.find((x) => x.name === 'v1.1.0-sigstore')!;
    await page.goto('/');
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await expect(page.locator('#detected-method')).toContainText('Signed with a Sigstore identity');
    // An empty identity is a note at the field, not a red verdict.
    await clickVerify(page);
    await expect(page.locator('#identity-note')).toBeVisible();
    await expect(page.locator('#verdict')).toHaveCount(0);
    await page.getByRole('button', { name: 'Require this signer' }).click();
    await page.getByLabel('Built into this page (offline)').check();
    await expect(page.getByLabel('Signer identity (email or URI)')).toHaveValue(SIGSTORE_IDENTITY);
    await expect(page.getByLabel('OIDC issuer')).toHaveValue(SIGSTORE_ISSUER);
    await expect(page.locator('#identity-note')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Require this signer' })).toBeDisabled();
    if (g.ignoreMe) {
      await page.getByText('Options').click();
      await page.getByLabel(/Ignore these paths/).fill('ignore-me');
    }
    await clickVerify(page);
    await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'verified', { timeout: 30_000 });
    await expect(page.locator('#verdict')).toContainText(SIGSTORE_IDENTITY);
  });

  test('setup problems are notes at their fields: no model, unreadable key, not a signature', async ({ page }) => {
    await page.goto('/');
    await clickVerify(page);
    await expect(page.locator('#model-folder-note')).toContainText('Choose the model folder');
    await expect(page.locator('#model-folder')).toHaveAttribute('aria-describedby', 'model-folder-note');
    await expect(page.locator('#verdict')).toHaveCount(0);

    const g = GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    await page.locator('#model-folder').setInputFiles(join(FIXTURES, g.name));
    await expect(page.locator('#model-folder-note')).toHaveCount(0);
    await expect(page.locator('#detected-method')).toContainText('Signed with a key');
    await page.locator('#public-key').fill('-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----');
    await clickVerify(page);
    const keyNote = page.locator('#public-key-note');
    await expect(keyNote).toHaveAttribute('role', 'alert');
    await expect(keyNote).not.toBeEmpty();
    await expect(page.locator('#public-key')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#verdict')).toHaveCount(0);

    await page.locator('#signature-file').setInputFiles({ name: 'model.sig', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect(page.locator('#signature-file-note')).toContainText('not a model signature');
    await expect(page.locator('#detected-method')).toHaveCount(0);
  });
});
