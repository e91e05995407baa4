/**
 * Chromium half of `npm run bench`'s fetch section: what verified loading costs over a plain fetch of the same
 * file from the same local server — createVerifiedFetch in both modes (verify-then-release holds the verified
 * bytes in Blobs and hands out the Response at the end; stream lets them flow and errors the body at the end),
 * the body read to its end in every case. Called as `window.fetchBench(...)`, one case and one repetition per
 * call, so that the bench can interleave them.
 */
import { createVerifiedFetch } from '../../core/fetch/index.js';

interface FetchCase {
  url: string;
  baseUrl: string;
  signature: string;
  publicKey: string;
  mode: 'plain' | 'verify-then-release' | 'stream';
}

async function drain(res: Response): Promise<number> {
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const reader = res.body.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.byteLength;
  }
}

async function fetchBench(c: FetchCase): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const doFetch =
    c.mode === 'plain'
      ? fetch
      : createVerifiedFetch({ signature: c.signature, policy: { method: 'key', publicKey: c.publicKey }, baseUrl: c.baseUrl, mode: c.mode });
  const bytes = await drain(await doFetch(c.url));
  return { ms: performance.now() - t0, bytes };
}

(window as unknown as { fetchBench: typeof fetchBench }).fetchBench = fetchBench;
