/**
 * worker_threads entry of the hash pool: node:crypto (OpenSSL, SHA-NI) for sha256 and blake2b512,
 * hash-wasm for blake3 (OpenSSL has none). File jobs read their own bytes synchronously (this thread has
 * nothing else to do) into one small buffer; streamed jobs hash what the main thread posts.
 */
import { createHash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ModelVerifyError } from '../core/index.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import { checkRange, checkUnchangedSync, openCheckedSync } from './checked-open.js';
import type { FromWorker, ToWorker } from './hash-protocol.js';

interface Digester {
  update(b: Uint8Array): void;
  digest(): Uint8Array;
}

async function digester(alg: HashAlgorithm): Promise<Digester> {
  if (alg === 'blake3') {
    const { createBLAKE3 } = await import('hash-wasm');
    const h = await createBLAKE3();
    return { update: (b) => void h.update(b), digest: () => h.digest('binary') };
  }
  const h = createHash(alg === 'sha256' ? 'sha256' : 'blake2b512');
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
}

const port = parentPort!;
/** Progress is batched: one message per chunk would be thousands per GiB at small read sizes. */
const PROGRESS_EVERY = 4 << 20;
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

/**
 * One open per job, checked (checked-open.ts): the fd must be the listed regular file; bytes come from that fd
 * only; after the last read one fstat checks size and mtime, so a file that grew, shrank or was rewritten while
 * it was hashed is MODEL_CHANGED. Per job: open, fstat, reads, fstat, close — nothing extra per chunk.
 */
async function hashFile(m: Extract<ToWorker, { t: 'file' }>): Promise<Uint8Array> {
  const h = await digester(m.alg);
  const t = m.target;
  checkRange(t, m.start, m.end);
  const fd = openCheckedSync(t);
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(m.chunk, m.end - m.start)));
    let pos = m.start;
    let pending = 0;
    while (pos < m.end) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, Math.min(buf.length, m.end - pos), pos);
      } catch (e) {
        throw new ModelVerifyError('IO_ERROR', `Cannot read '${t.name}': ${(e as Error).message}`);
      }
      if (n === 0) throw new ModelVerifyError('MODEL_CHANGED', `'${t.name}' changed size while it was being verified`);
      h.update(buf.subarray(0, n));
      pos += n;
      pending += n;
      if (pending >= PROGRESS_EVERY) {
        post({ t: 'progress', job: m.job, n: pending });
        pending = 0;
      }
    }
    if (pending > 0) post({ t: 'progress', job: m.job, n: pending });
    if (m.hold) {
      post({ t: 'held', job: m.job });
      Atomics.wait(m.hold, 0, 0);
    }
    checkUnchangedSync(fd, t);
  } finally {
    closeSync(fd);
  }
  return h.digest();
}

const streamed = new Map<number, Promise<Digester>>();

async function onMessage(m: ToWorker): Promise<void> {
  try {
    if (m.t === 'file') {
      const digest = await hashFile(m);
      post({ t: 'done', job: m.job, digest }, [digest.buffer as ArrayBuffer]);
    } else if (m.t === 'begin') {
      streamed.set(m.job, digester(m.alg));
    } else if (m.t === 'chunk') {
      (await streamed.get(m.job)!).update(new Uint8Array(m.data));
      post({ t: 'progress', job: m.job, n: m.data.byteLength });
    } else if (m.t === 'end') {
      const h = await streamed.get(m.job)!;
      streamed.delete(m.job);
      const digest = h.digest();
      post({ t: 'done', job: m.job, digest }, [digest.buffer as ArrayBuffer]);
    }
  } catch (e) {
    const code = e instanceof ModelVerifyError && (e.code === 'MODEL_CHANGED' || e.code === 'IO_ERROR') ? e.code : 'INTERNAL';
    post({ t: 'error', job: m.job, code, message: (e as Error)?.message ?? String(e) });
  }
}

// Messages of one streamed job must be handled in order even though the blake3 set-up is async.
let queue = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue.then(() => onMessage(m));
});
post({ t: 'ready' });
