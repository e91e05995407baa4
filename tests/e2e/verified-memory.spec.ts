/**
 * Memory of verify-then-release in Chromium: createVerifiedFetch downloads and verifies a 480 MiB file (past the
 * one-shot bound, so held in Blobs; Chromium's Blob store holds about 500 MB, see verified-fetch.ts) while the
 * test samples the page's memory over CDP (Runtime.getHeapUsage: the JS heap plus ArrayBuffer backing stores,
 * where chunks held from JS would show). The verified bytes live in Blobs (Chromium's blob store, outside the
 * renderer's heap), so the samples stay flat. A control that keeps 256 MiB of chunks in a JS array shows the
 * measurement sees held bytes. Also logs the time against a plain fetch of the same file.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type CDPSession } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { rootDigest } from '../../core/manifest/root-digest.js';
import { statementPayload } from '../../core/sign/statement.js';
import { generateSigningKey } from '../../core/sign/generate.js';
import { signPayload } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { bundle, MODELS_DIR } from './support/verified-models.js';

const SIZE = 480 << 20;
const dir = join(MODELS_DIR, 'big');
const file = join(dir, 'model.bin');
const MiB = 1 << 20;

/** Writes the big file once (kept between runs) and returns its SHA-256, computed while writing. */
function bigFile(): string {
  const sumFile = `${file}.sha256`;
  if (existsSync(file) && statSync(file).size === SIZE && existsSync(sumFile)) return readFileSync(sumFile, 'utf8');
  mkdirSync(dir, { recursive: true });
  const h = createHash('sha256');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(16 * MiB);
  for (let i = 0; i < SIZE / block.length; i++) {
    block.fill(i & 0xff);
    block.writeUInt32LE(i, 0);
    h.update(block);
    writeSync(fd, block);
  }
  closeSync(fd);
  const digest = h.digest('hex');
  writeFileSync(sumFile, digest);
  return digest;
}

async function heap(cdp: CDPSession): Promise<number> {
  const u = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
  return u.usedSize + (u.backingStorageSize ?? 0);
}

/** Runs `work` in the page while sampling live memory every 250 ms; returns the peak over the baseline. */
async function peakDuring(cdp: CDPSession, work: Promise<unknown>): Promise<{ peak: number; result: unknown }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const base = await heap(cdp);
  let peak = 0;
  let done = false;
  const result = work.finally(() => void (done = true));
  while (!done) {
    // Live bytes only: garbage (chunks already handed to a Blob) is collected before each sample.
    await cdp.send('HeapProfiler.collectGarbage');
    peak = Math.max(peak, (await heap(cdp)) - base);
    await new Promise((r) => setTimeout(r, 250));
  }
  // And once done: what the page still holds (the Blob of the verified file; the control's array).
  await cdp.send('HeapProfiler.collectGarbage');
  peak = Math.max(peak, (await heap(cdp)) - base);
  return { peak, result: await result };
}

test('verifying 480 MiB in verify-then-release mode keeps the page memory flat', async ({ page }) => {
  test.setTimeout(300_000);
  const digest = bigFile();
  const g = await generateSigningKey('P-256');
  // Signed from the digest computed while writing (the product's statement and signer; no second pass over the file).
  const resources = [{ id: 'model.bin', algorithm: 'sha256', digest }];
  const payload = statementPayload({
    modelName: 'big',
    rootDigest: await rootDigest(resources),
    serialization: { method: 'files', hashType: 'sha256', allowSymlinks: false },
    ignorePaths: [],
    resources,
  });
  const sig = new TextDecoder().decode(await signPayload(payload, keySigner(g.signingKey)));
  await bundle('verified-fetch-lib.js', "export { createVerifiedFetch } from './core/index.ts';");
  await page.goto(`${STATIC_URL}/pages/verified-runtimes.html`);
  const cdp = await page.context().newCDPSession(page);
  const url = `${STATIC_URL}/verified-models/big/model.bin`;
  const args = { url, base: `${STATIC_URL}/verified-models/big/`, sig, policy: { method: 'key', publicKey: g.publicKeyPem } };

  const plain = await page.evaluate(async (url) => {
    const t = performance.now();
    const reader = (await fetch(url)).body!.getReader();
    for (;;) if ((await reader.read()).done) break;
    return performance.now() - t;
  }, url);

  const verified = await peakDuring(
    cdp,
    page.evaluate(async ({ url, base, sig, policy }) => {
      const { createVerifiedFetch } = await import('/e2e-build/verified-fetch-lib.js' as string);
      const t = performance.now();
      const res = await createVerifiedFetch({ signature: sig, policy, baseUrl: base })(url);
      const ms = performance.now() - t;
      const blob = await res.blob();
      (window as unknown as { kept: Blob }).kept = blob; // held, as a runtime would hold its model
      const last = new Uint8Array(await blob.slice(blob.size - 1).arrayBuffer())[0]; // readable, to its end
      return { ms, size: blob.size, length: res.headers.get('content-length'), last };
    }, args),
  );
  // The file's last byte (its last 16 MiB block is filled with the block index & 0xff).
  expect(verified.result).toMatchObject({ size: SIZE, length: String(SIZE), last: (SIZE / (16 * MiB) - 1) & 0xff });

  // The control: the same bytes kept as chunks in a JS array (256 MiB of them) are seen by the measurement.
  const naive = await peakDuring(
    cdp,
    page.evaluate(async (url) => {
      const reader = (await fetch(url)).body!.getReader();
      const kept: Uint8Array[] = [];
      let n = 0;
      while (n < 256 * 1024 * 1024) {
        const r = await reader.read();
        if (r.done) break;
        kept.push(r.value);
        n += r.value.byteLength;
      }
      await reader.cancel();
      (window as unknown as { chunks: Uint8Array[] }).chunks = kept;
      return n;
    }, url),
  );
  const ms = (verified.result as { ms: number }).ms;
  console.log(
    `480 MiB: plain fetch ${plain.toFixed(0)} ms, createVerifiedFetch (download + SHA-256 + Blob) ${ms.toFixed(0)} ms; ` +
      `peak memory over baseline: verified ${(verified.peak / MiB).toFixed(1)} MiB, naive 256 MiB array ${(naive.peak / MiB).toFixed(1)} MiB`,
  );
  expect(naive.peak).toBeGreaterThan(200 * MiB);
  expect(verified.peak).toBeLessThan(64 * MiB);
});
