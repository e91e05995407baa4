/**
 * model-verify/sw in Chromium: a page registers the verifying Service Worker (built from browser/sw/ by esbuild) for
 * a model signed here; the static server's request log shows what reached the network. Signed files are verified
 * and cached, repeats (after a reload, offline too) come from Cache Storage, a tampered mirror and an unsigned file
 * are answered with the typed error and none of their bytes.
 */
import { createHash } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { bundle, random, writeSignedModel, type SignedModel } from './support/verified-models.js';

const files = { 'config.json': new TextEncoder().encode('{"hidden_size":8}'), 'weights.bin': random(3 << 20, 7), 'extra.bin': random(5000, 3) };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const base = `${STATIC_URL}/verified-models/sw/`;
let model: SignedModel;

interface Seen {
  method: string;
  path: string;
  range: string | null;
}
const requests = async (): Promise<Seen[]> => (await fetch(`${STATIC_URL}/__requests?prefix=/verified-models/sw/&clear`)).json();
const modelRequests = async () => (await requests()).map((r) => r.path);

test.beforeAll(async () => {
  model = await writeSignedModel('sw/good', files, {
    tamperedDir: 'sw/tampered',
    tamper: ['weights.bin'],
    unsigned: { 'notes.txt': new Uint8Array([1, 2, 3]) },
  });
  await bundle('verified-lib.js', "export { registerModelVerifier } from './browser/sw/index.ts';");
  await bundle('verified-sw.js', "import { serveModelVerifier } from './browser/sw/index.ts';\nserveModelVerifier(self as never);");
});

/** Fetches files from the page: status, error body (if any), byte count and SHA-256 of what reached the page. */
function load(page: Page, urls: string[]) {
  return page.evaluate(async (urls) => {
    const out: { status: number; bytes: number; sha: string; error?: { code: string; resource?: string } }[] = [];
    for (const u of urls) {
      const r = await fetch(u);
      const b = new Uint8Array(await r.arrayBuffer());
      const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
      const error = r.headers.get('content-type') === 'application/json' && r.status !== 200 ? JSON.parse(new TextDecoder().decode(b)).error : undefined;
      out.push({ status: r.status, bytes: b.length, sha: [...d].map((x) => x.toString(16).padStart(2, '0')).join(''), ...(error ? { error } : {}) });
    }
    return out;
  }, urls);
}

async function open(page: Page) {
  await page.goto(`${STATIC_URL}/pages/verified-sw.html`);
  await page.waitForSelector('body[data-ready]');
}

test('the verifying Service Worker: verified and cached, repeats from the cache, tampered and unsigned refused, reload and offline', async ({
  page,
  context,
}) => {
  await open(page);
  await page.evaluate(
    async ({ base, model }) => {
      const mv = (window as unknown as { mv: { registerModelVerifier: (o: unknown) => Promise<unknown> } }).mv;
      await mv.registerModelVerifier({
        prefixes: [`${base}good/`, `${base}tampered/`],
        signature: model.bundle,
        policy: model.policy,
        swUrl: '/e2e-build/verified-sw.js',
        scope: '/pages/',
      });
    },
    { base, model },
  );
  await requests();

  // A tampered mirror: the typed error, no byte of the file (the body is the small JSON error).
  const [bad] = await load(page, [`${base}tampered/weights.bin`]);
  expect(bad!.status).toBe(502);
  expect(bad!.error).toMatchObject({ code: 'HASH_MISMATCH', resource: 'weights.bin' });
  expect(bad!.bytes).toBeLessThan(500);
  expect(await modelRequests()).toEqual(['/verified-models/sw/tampered/weights.bin']);

  // An unsigned file under a prefix: refused, its body never read (the server is asked with HEAD whether it exists);
  // one that does not exist is a plain 404.
  const [unsigned, absent] = await load(page, [`${base}good/notes.txt`, `${base}good/absent.json`]);
  expect([unsigned!.status, unsigned!.error?.code]).toEqual([502, 'UNSIGNED_FILE']);
  expect([absent!.status, absent!.bytes]).toEqual([404, 0]);
  expect(await requests()).toEqual(['notes.txt', 'absent.json'].map((f) => ({ method: 'HEAD', path: `/verified-models/sw/good/${f}`, range: null })));

  // Signed files: verified bytes reach the page, each downloaded once.
  const good = [`${base}good/config.json`, `${base}good/weights.bin`];
  const want = [files['config.json'], files['weights.bin']].map((b) => ({ status: 200, bytes: b.length, sha: sha(b) }));
  expect(await load(page, good)).toEqual(want);
  expect((await modelRequests()).sort()).toEqual(['/verified-models/sw/good/config.json', '/verified-models/sw/good/weights.bin']);

  // Again, and after a reload: from Cache Storage, no network request.
  expect(await load(page, good)).toEqual(want);
  await open(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toContain('/e2e-build/verified-sw.js');
  expect(await load(page, good)).toEqual(want);
  expect(await modelRequests()).toEqual([]);

  // A copy planted in (or corrupted inside) the worker's cache is hashed before use: dropped, downloaded anew.
  const planted = `https://model-verify.invalid/files/sha256/${sha(files['config.json'])}`;
  await page.evaluate(async (key) => (await caches.open('model-verify-files')).put(key, new Response('{"hidden_size":9999}')), planted);
  expect(await load(page, [good[0]!])).toEqual([want[0]]);
  expect(await modelRequests()).toEqual(['/verified-models/sw/good/config.json']);

  // Offline: cached files still load; a signed file never downloaded is an error response, never unverified bytes.
  await context.setOffline(true);
  try {
    expect(await load(page, good)).toEqual(want);
    const [missing] = await load(page, [`${base}good/extra.bin`]);
    expect(missing!.status).toBe(502);
    expect(missing!.error?.code).toBe('IO_ERROR');
  } finally {
    await context.setOffline(false);
  }
  expect(await load(page, [`${base}good/extra.bin`])).toEqual([{ status: 200, bytes: 5000, sha: sha(files['extra.bin']) }]);
});
