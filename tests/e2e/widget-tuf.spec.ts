/**
 * The element's trust choice in Chromium (issue 15): `trust="tuf"` refreshes the Sigstore trust root through TUF from
 * a repository (here a private one built by the test with real Ed25519 signatures, tests/helpers/tuf-repo.ts, served
 * through page.route — no network), keeps its metadata in IndexedDB and reports where the root came from;
 * `trust="embedded"` never asks anyone; a TUF failure is a typed verdict, never a silent fallback.
 */
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { expiresIn, TufTestRepo } from '../helpers/tuf-repo.js';
import { OTHER_ROOTS, productionRootJson } from '../sigstore/roots.js';
import { sigstoreAvailable } from './support/capabilities.js';
import { SIGSTORE_IDENTITY, SIGSTORE_ISSUER } from './support/goldens.js';

const TUF = 'http://tuf.model-verify.test';

interface Result {
  verified: boolean;
  report: { errors: { code: string }[]; trustRoot?: { origin?: string; repository?: string; tufRootVersion?: number } };
}

/** Serves the repository's files at TUF (CORS as the Sigstore CDN sends it); returns the paths asked for. */
async function serveRepo(page: Page, repo: TufTestRepo): Promise<string[]> {
  const asked: string[] = [];
  await page.route(`${TUF}/**`, (route) => {
    const p = new URL(route.request().url()).pathname;
    asked.push(p);
    const body = repo.files.get(p);
    return route.fulfill(
      body
        ? { status: 200, body, headers: { 'access-control-allow-origin': '*', 'content-type': 'application/json' } }
        : { status: 404, headers: { 'access-control-allow-origin': '*' } },
    );
  });
  return asked;
}

/** One badge for the v1.1.0-sigstore golden with these trust attributes; resolves with its verify-result detail. */
async function verifyWith(page: Page, attrs: Record<string, string>): Promise<Result> {
  await page.goto(`${STATIC_URL}/pages/blank.html`);
  return page.evaluate(
    ({ attrs, identity, issuer }) =>
      new Promise<Result>((resolve) => {
        const el = document.createElement('model-verify');
        el.addEventListener('verify-result', (e) => resolve((e as CustomEvent).detail));
        const all: Record<string, string> = {
          src: '/fixtures/v1.1.0-sigstore/',
          signature: '/fixtures/v1.1.0-sigstore/model.sig',
          method: 'sigstore',
          identity,
          issuer,
          ...attrs,
          auto: '',
        };
        for (const [k, v] of Object.entries(all)) el.setAttribute(k, v);
        document.body.append(el);
      }),
    { attrs, identity: SIGSTORE_IDENTITY, issuer: SIGSTORE_ISSUER },
  );
}

const tufAttrs = { trust: 'tuf', 'tuf-url': TUF, 'tuf-root': `${TUF}/1.root.json` };

test.describe('<model-verify> trust roots', () => {
  test.beforeEach(async () => {
    test.skip(!(await sigstoreAvailable()), 'core/sigstore answers UNSUPPORTED in this build');
  });

  test('trust="tuf": the root the repository publishes is used (and reported), reused while fresh, refreshed after', async ({ page }) => {
    const repo = new TufTestRepo();
    // A timestamp that expires soon, so the test sees both the cached and the refreshed path.
    const freshFor = 6;
    repo.publish({ 'trusted_root.json': JSON.stringify(productionRootJson()) }, { expires: { timestamp: expiresIn(freshFor) } });
    const asked = await serveRepo(page, repo);
    const t0 = Date.now();
    const r = await verifyWith(page, tufAttrs);
    expect(r.report.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.report.trustRoot).toMatchObject({ origin: 'tuf', repository: TUF, tufRootVersion: 1 });
    expect(asked).toContain('/timestamp.json');

    // The repository now publishes a root without the Fulcio CA that issued the golden's certificate.
    repo.publish({ 'trusted_root.json': JSON.stringify(OTHER_ROOTS['Fulcio CA missing']!.root()) });
    // While the first refresh's metadata is unexpired, a new visit uses it from IndexedDB without asking.
    asked.length = 0;
    const cached = await verifyWith(page, tufAttrs);
    if (Date.now() - t0 < (freshFor - 1) * 1000) {
      expect(cached.verified).toBe(true);
      expect(cached.report.trustRoot).toMatchObject({ origin: 'cache', repository: TUF });
      expect(asked.filter((p) => p !== '/1.root.json')).toEqual([]);
    }
    // Once it expired, the page refreshes (from the metadata IndexedDB kept) and the signature no longer verifies.
    await page.waitForTimeout(Math.max(0, freshFor * 1000 + 500 - (Date.now() - t0)));
    const after = await verifyWith(page, tufAttrs);
    expect(after.verified).toBe(false);
    expect(after.report.errors[0]?.code).toBe(OTHER_ROOTS['Fulcio CA missing']!.code);
  });

  test('a repository failing TUF verification is TUF_INVALID; an unreachable one TUF_UNAVAILABLE; neither falls back', async ({ page }) => {
    const repo = new TufTestRepo();
    // The signed targets metadata records another hash than the bytes served under that name.
    const lie = 'ab'.repeat(32);
    const bytes = Buffer.from(JSON.stringify(productionRootJson()));
    repo.publish({ 'trusted_root.json': bytes }, { lie: { 'trusted_root.json': { sha256: lie } } });
    repo.files.set(`/targets/${lie}.trusted_root.json`, bytes);
    await serveRepo(page, repo);
    const bad = await verifyWith(page, tufAttrs);
    expect(bad.verified).toBe(false);
    expect(bad.report.errors[0]?.code).toBe('TUF_INVALID');

    await page.unrouteAll();
    // The initial root.json is at hand; the repository itself does not answer.
    await page.route(`${TUF}/**`, (route) =>
      route.request().url() === `${TUF}/1.root.json`
        ? route.fulfill({ status: 200, body: repo.root(1), headers: { 'access-control-allow-origin': '*' } })
        : route.abort('connectionrefused'),
    );
    const down = await verifyWith(page, tufAttrs);
    expect(down.verified).toBe(false);
    expect(down.report.errors[0]?.code).toBe('TUF_UNAVAILABLE');
  });

  test('trust="embedded" asks no one; trust=URL reads that trusted_root.json', async ({ page }) => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const r = await verifyWith(page, { trust: 'embedded' });
    expect(r.verified).toBe(true);
    expect(r.report.trustRoot?.origin ?? 'embedded').toBe('embedded');
    expect(requests.filter((u) => !u.startsWith(STATIC_URL))).toEqual([]);

    await page.route(`${TUF}/trusted_root.json`, (route) =>
      route.fulfill({ status: 200, body: JSON.stringify(OTHER_ROOTS['Fulcio CA missing']!.root()), headers: { 'access-control-allow-origin': '*' } }),
    );
    const other = await verifyWith(page, { trust: `${TUF}/trusted_root.json` });
    expect(other.verified).toBe(false);
    expect(other.report.errors[0]?.code).toBe(OTHER_ROOTS['Fulcio CA missing']!.code);
  });
});
