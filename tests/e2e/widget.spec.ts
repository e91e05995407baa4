/**
 * <model-verify> on plain HTML pages that load only dist/model-verify.js, verifying the goldens over HTTP
 * from a local static server (HEAD + Range, like a model hub).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { sigstoreAvailable } from './support/capabilities.js';
import { GOLDENS, SIGSTORE_IDENTITY } from './support/goldens.js';
import { schemaErrors } from '../helpers/report-schema.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(import.meta.dirname, '../../docs/screenshots');
const takeShots = process.env.SCREENSHOTS === '1';

interface Recorded {
  start: number;
  progress: { bytesDone: number; bytesTotal: number }[];
  result?: { verified: boolean; report: { verified: boolean; errors: { code: string; resource?: string }[]; resources: { name: string; status: string }[] } };
}

/** Every verify-result detail carries the v1 report (report.schema.json), passed through unchanged from core. */
function expectSchemaReports(log: Record<string, Recorded>): void {
  for (const [id, r] of Object.entries(log)) {
    expect(r.result, id).toBeDefined();
    expect(schemaErrors(r.result!.report), id).toEqual([]);
    expect(r.result!.verified, id).toBe(r.result!.report.verified);
  }
}

/** Records every element's events from before the module loads (they bubble and compose to the document). */
async function recordEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: Record<string, Recorded> = {};
    (window as unknown as { __mv: typeof log }).__mv = log;
    const at = (e: Event) => (log[(e.target as HTMLElement).id] ??= { start: 0, progress: [] });
    document.addEventListener('verify-start', (e) => void at(e).start++);
    document.addEventListener('verify-progress', (e) => void at(e).progress.push((e as CustomEvent).detail));
    document.addEventListener('verify-result', (e) => void (at(e).result = (e as CustomEvent).detail));
  });
}

async function openAndWait(page: Page, path: string): Promise<Record<string, Recorded>> {
  const scripts: string[] = [];
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
  await recordEvents(page);
  await page.goto(`${STATIC_URL}${path}`);
  const ids = await page.locator('model-verify').evaluateAll((els) => els.map((e) => e.id));
  await page.waitForFunction((n) => {
    const log = (window as unknown as { __mv?: Record<string, Recorded> }).__mv ?? {};
    return Object.values(log).filter((r) => r.result).length === n;
  }, ids.length);
  // The page names one script; the others are what the module loads from beside itself once verification
  // needs them: the hash worker and lazily imported chunks (X.509, Sigstore, on-page hashing).
  expect(scripts[0]).toBe('/dist/model-verify.js');
  expect(scripts.slice(1).filter((s) => s !== '/dist/model-verify-hash-worker.js' && !/^\/dist\/model-verify-chunk-[\w.-]+\.js$/.test(s))).toEqual([]);
  const log = await page.evaluate(() => (window as unknown as { __mv: Record<string, Recorded> }).__mv);
  expectSchemaReports(log);
  return log;
}

function element(page: Page, id: string) {
  return page.locator(`model-verify[id="${id}"]`);
}

function label(page: Page, id: string) {
  return element(page, id).locator('[part="label"]');
}

test.describe('<model-verify> element', () => {
  test('key and certificate goldens verify over HTTP; a tampered copy fails', async ({ page }) => {
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
    const log = await openAndWait(page, '/pages/widget.html');
    // Hashing ran in the worker pool, loaded from beside the module.
    expect(workers).toContain('/dist/model-verify-hash-worker.js');
    for (const g of GOLDENS.filter((x) => x.method !== 'sigstore')) {
      const r = log[g.name]!;
      expect(r.start, g.name).toBe(1);
      expect(r.result?.verified, `${g.name}: ${JSON.stringify(r.result?.report.errors)}`).toBe(true);
      expect(r.progress.length, `${g.name} progress events`).toBeGreaterThan(0);
      const last = r.progress.at(-1)!;
      expect(last.bytesDone).toBe(last.bytesTotal);
      expect(last.bytesTotal).toBeGreaterThan(0);
      await expect(label(page, g.name)).toHaveText(/^verified · .+/);
      await expect(element(page, g.name)).toHaveAttribute('status', 'verified');
    }
    await expect(label(page, 'v1.1.0-elliptic-key')).toHaveText(/^verified · key [0-9a-f]{12}…$/);

    for (const id of ['tampered-v1.1.0-elliptic-key', 'tampered-v1.1.0-certificate']) {
      const r = log[id]!;
      expect(r.result?.verified, id).toBe(false);
      expect(r.result?.report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
      expect(r.result?.report.resources.find((x) => x.name === 'signme-2')?.status).toBe('ok');
      await expect(label(page, id)).toHaveText('failed · signme-1 modified');
      await expect(element(page, id)).toHaveAttribute('status', 'failed');
    }

    // The badge expands to details by keyboard.
    const tampered = element(page, 'tampered-v1.1.0-elliptic-key');
    await tampered.locator('[part="badge"]').focus();
    await page.keyboard.press('Enter');
    await expect(tampered.locator('[part="badge"]')).toHaveAttribute('aria-expanded', 'true');
    await expect(tampered.locator('tr[data-file="signme-1"]')).toHaveAttribute('data-status', 'mismatch');
    const verified = element(page, 'v1.1.0-certificate');
    await verified.locator('[part="badge"]').click();
    await expect(verified.locator('[part="signer"]')).toContainText('X.509 certificate');
    // On success, what every HTTP model cannot do is an informational note, not a warning; sizes use units.
    await expect(verified.locator('[part="note"]')).toContainText('cannot list its files');
    await expect(verified.locator('[part="warnings"]')).toHaveCount(0);
    await expect(verified.locator('[part="details"]')).toContainText(/\d+(\.\d+)? (B|KiB) hashed in/);
    await expect(verified.locator('[part="details"]')).not.toContainText('bytes hashed');
    if (takeShots) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'widget.png'), fullPage: true });
    }
  });

  test('Sigstore goldens verify over HTTP; a tampered copy fails', async ({ page }) => {
    test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
    const log = await openAndWait(page, '/pages/widget-sigstore.html');
    for (const g of GOLDENS.filter((x) => x.method === 'sigstore')) {
      const r = log[g.name]!;
      expect(r.result?.verified, `${g.name}: ${JSON.stringify(r.result?.report.errors)}`).toBe(true);
      expect(r.progress.length).toBeGreaterThan(0);
      await expect(label(page, g.name)).toHaveText(`verified · ${SIGSTORE_IDENTITY}`);
    }
    const t = log['tampered-v1.1.0-sigstore']!;
    expect(t.result?.verified).toBe(false);
    expect(t.result?.report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
    await expect(label(page, 'tampered-v1.1.0-sigstore')).toHaveText('failed · signme-1 modified');
  });

  test('the badge shows a progress bar while verifying', async ({ page }) => {
    // Hold one file back so the run stays in progress long enough to look at.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/fixtures/v1.1.0-elliptic-key/signme-2', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${STATIC_URL}/pages/widget.html`);
    const el = element(page, 'v1.1.0-elliptic-key');
    await expect(el).toHaveAttribute('status', 'verifying');
    await expect(el.getByRole('progressbar', { name: 'Bytes hashed' })).toBeVisible();
    await expect(label(page, 'v1.1.0-elliptic-key')).toHaveText(/^verifying \d+%$/);
    release();
    await expect(el).toHaveAttribute('status', 'verified');
    await expect(el.getByRole('progressbar')).toHaveCount(0);
  });

  test('still verifies (pure-JS hashing on the page) when a CSP blocks WebAssembly and workers', async ({ page }) => {
    const log = await openAndWait(page, '/pages/widget-csp.html');
    const wasm = await page.evaluate(() =>
      WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
        () => 'allowed',
        (e: Error) => e.name,
      ),
    );
    expect(wasm).toBe('CompileError');
    expect(log['v1.1.0-certificate']?.result?.verified).toBe(true);
    expect(log['tampered-v1.1.0-elliptic-key']?.result?.verified).toBe(false);
    expect(log['tampered-v1.1.0-elliptic-key']?.result?.report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
    await expect(label(page, 'v1.1.0-certificate')).toHaveText(/^verified · /);
  });

  test('importing the module does no work; without auto it waits for a click (or Enter)', async ({ page }) => {
    const paths: string[] = [];
    page.on('request', (r) => paths.push(new URL(r.url()).pathname));
    await recordEvents(page);
    await page.goto(`${STATIC_URL}/pages/idle.html`);
    await page.evaluate(async () => {
      await customElements.whenDefined('model-verify');
      await document.querySelector('model-verify')!.updateComplete;
      await fetch('/health'); // a marker: anything the import started would have been requested before it
    });
    // The module and the chunks it imports statically (code shared with its lazy chunks), nothing more.
    const staticChunks = [
      ...readFileSync(join(ROOT, 'dist/model-verify.js'), 'utf8').matchAll(/^import [^;]*? from "\.\/(model-verify-chunk-[\w.-]+\.js)";/gm),
    ].map((m) => `/dist/${m[1]}`);
    expect(paths.filter((p) => p !== '/favicon.ico').sort()).toEqual(['/pages/idle.html', '/dist/model-verify.js', ...staticChunks, '/health'].sort());
    await expect(label(page, 'manual')).toHaveText('not verified · click to verify');
    await expect(element(page, 'manual')).toHaveAttribute('status', 'idle');
    await element(page, 'manual').locator('[part="badge"]').focus();
    await page.keyboard.press('Enter');
    await expect(element(page, 'manual')).toHaveAttribute('status', 'verified');
    await expect(label(page, 'manual')).toHaveText(/^verified · key [0-9a-f]{12}…$/);
    // Key verification runs on the module alone (its hashing in the worker): no X.509/Sigstore chunk is fetched.
    expect(
      paths.filter((p) => p.startsWith('/dist/') && p !== '/dist/model-verify.js' && p !== '/dist/model-verify-hash-worker.js' && !staticChunks.includes(p)),
    ).toEqual([]);
    const log = await page.evaluate(() => (window as unknown as { __mv: Record<string, Recorded> }).__mv);
    expect(log['manual']?.start).toBe(1);
    expect(log['manual']?.result?.verified).toBe(true);
    expectSchemaReports(log);
  });

  test('verify() with File objects, a policy property, and cancel()', async ({ page }) => {
    await page.goto(`${STATIC_URL}/pages/blank.html`);
    const out = await page.evaluate(async () => {
      const get = async (p: string) => new File([await (await fetch(p)).blob()], p.split('/').pop()!);
      const el = document.createElement('model-verify');
      document.body.append(el);
      const base = '/fixtures/v1.1.0-elliptic-key/';
      el.files = [await get(`${base}signme-1`), await get(`${base}signme-2`), await get(`${base}model.sig`)];
      el.policy = { method: 'key', publicKey: await (await fetch('/fixtures/keys/certificate/signing-key-pub.pem')).text() };
      const ok = await el.verify();
      el.setAttribute('method', 'key');
      el.policy = { method: 'key', publicKey: 'not a pem' };
      const bad = await el.verify();
      el.policy = { method: 'key', publicKey: await (await fetch('/fixtures/keys/certificate/signing-key-pub.pem')).text() };
      const running = el.verify();
      el.cancel();
      const cancelled = await running;
      return {
        ok: ok.verified,
        okFiles: ok.resources.length,
        bad: bad.verified,
        badCode: bad.errors[0]?.code,
        cancelled: cancelled.verified,
        cancelledCode: cancelled.errors[0]?.code,
        status: el.getAttribute('status'),
        reports: [ok, bad, cancelled],
      };
    });
    const { reports, ...rest } = out;
    expect(rest).toEqual({ ok: true, okFiles: 2, bad: false, badCode: 'KEY_MALFORMED', cancelled: false, cancelledCode: 'ABORTED', status: 'failed' });
    // verify()'s result is the report the verify-result event carries: the v1 report, failed and cancelled ones too.
    for (const r of reports) expect(schemaErrors(r)).toEqual([]);
  });
});
