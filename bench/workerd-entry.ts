/**
 * workerd half of `npm run bench`: SHA-256 of a generated stream through the Worker's hashing path
 * (registerWorkerdHashers → StreamingBackend → crypto.DigestStream), plus crypto.subtle one-shot and the
 * statically imported wasm for comparison. Times are taken inside the Worker (local workerd advances its clock
 * during CPU work; production freezes it) and from outside by the driver.
 */
import { StreamingBackend } from '../core/hash/backend.js';
import { createHasher } from '../core/hash/hasher.js';
import type { HashAlgorithm } from '../core/manifest/types.js';
import type { ModelSource } from '../core/serialize/source.js';
import { toHex } from '../core/util/bytes.js';
import { digestStreamSha256, registerWorkerdHashers } from '../workerd/hashers.js';

const CHUNK = 1 << 20;

/** One random MiB repeated: generating fresh bytes would cost more than hashing them. */
function pattern(): Uint8Array {
  const b = new Uint8Array(CHUNK);
  for (let i = 0; i < CHUNK; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

function streamSource(size: number, block: Uint8Array): ModelSource {
  return {
    name: 'bench',
    listable: true,
    async *list() {
      yield { path: 'data', kind: 'file', size };
    },
    async stat() {
      return { path: 'data', kind: 'file', size };
    },
    open(_p, range) {
      let left = (range?.end ?? size) - (range?.start ?? 0);
      return new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (left <= 0) return ctl.close();
          const n = Math.min(left, CHUNK);
          ctl.enqueue(block.slice(0, n));
          left -= n;
        },
      });
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export default {
  async fetch(req: Request): Promise<Response> {
    registerWorkerdHashers();
    const url = new URL(req.url);
    const size = Number(url.searchParams.get('mb') ?? 256) * CHUNK;
    const what = url.searchParams.get('case') ?? 'digeststream';
    const block = pattern();
    const job = (hash: HashAlgorithm) => [{ id: 'data', path: 'data', start: 0, end: size, hash }];
    let r: { ms: number; value: string };
    if (what === 'digeststream' || what === 'blake3' || what === 'blake2b') {
      const alg: HashAlgorithm = what === 'digeststream' ? 'sha256' : what;
      r = await timed(async () => toHex((await new StreamingBackend(1).run(job(alg), streamSource(size, block))).get('data')!));
    } else if (what === 'digeststream-raw') {
      // The same stream piped straight into DigestStream: what our counting/progress layer costs on top.
      r = await timed(async () => toHex(await digestStreamSha256(streamSource(size, block).open('data'))));
    } else if (what === 'wasm-sha256') {
      r = await timed(async () => {
        const h = await createHasher('sha256'); // the statically imported wasm (sync Hasher)
        for (let o = 0; o < size; o += CHUNK) h.update(block.subarray(0, Math.min(CHUNK, size - o)));
        return toHex(h.digest());
      });
    } else {
      // crypto.subtle one-shot over the whole buffer (needs it all in memory: 128 MB isolate limit in production).
      const all = new Uint8Array(size);
      for (let o = 0; o < size; o += CHUNK) all.set(block.subarray(0, Math.min(CHUNK, size - o)), o);
      r = await timed(async () => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', all))));
    }
    return Response.json({ case: what, bytes: size, ms: r.ms, digest: r.value });
  },
};
