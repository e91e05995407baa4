/// <reference lib="webworker" />
/**
 * Web Worker entry of BrowserHashPool. Bundlers pick it up from
 * `new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' })`.
 */
import type { Hasher } from '../core/hash/index.js';
import { hashBlob, JobError, type Scratch, streamingHasher } from './hash-job.js';
import type { FromWorker, ToWorker } from './hash-protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const streamed = new Map<number, Promise<Hasher>>();

/** The one-shot buffer kept between jobs of a run (the pool counts it against its budget; 'drop' frees it). */
let held: ArrayBuffer | null = null;
const scratch: Scratch = {
  get(size) {
    if (held && held.byteLength >= size) return held; // a detached one has length 0
    held = null; // too small: collectable before the bigger one is made
    return new ArrayBuffer(size);
  },
  put: (buf) => void (held = buf),
};

/**
 * Progress of a Blob job: at most one message per 50 ms (plus the rest before `done`), not one per piece:
 * the page's tracker throttles its callbacks anyway, and each message wakes the page.
 */
function progress(job: number): { add(n: number): void; flush(): void } {
  let pending = 0;
  let last = performance.now();
  const flush = () => {
    if (pending > 0) post({ t: 'progress', job, n: pending });
    pending = 0;
  };
  return {
    add(n) {
      pending += n;
      const now = performance.now();
      if (now - last >= 50) (last = now), flush();
    },
    flush,
  };
}

async function handle(m: ToWorker): Promise<void> {
  if (m.t === 'drop') return void (held = null);
  try {
    let digest: Uint8Array | undefined;
    if (m.t === 'blob') {
      const p = m.progress ? progress(m.job) : undefined;
      digest = await hashBlob(m, p?.add ?? (() => {}), undefined, scratch);
      p?.flush();
    } else if (m.t === 'begin') {
      streamed.set(m.job, streamingHasher(m.alg, m.wasm));
    } else if (m.t === 'chunk') {
      (await streamed.get(m.job)!).update(new Uint8Array(m.data));
      post({ t: 'progress', job: m.job, n: m.data.byteLength });
    } else if (m.t === 'end') {
      digest = (await streamed.get(m.job)!).digest();
      streamed.delete(m.job);
    }
    if (digest) post({ t: 'done', job: m.job, digest }, [digest.buffer as ArrayBuffer]);
  } catch (e) {
    post({ t: 'error', job: m.job, code: e instanceof JobError ? e.code : 'INTERNAL', message: (e as Error)?.message ?? String(e) });
  }
}

// In order: a streamed job's chunks must follow its (async) set-up.
let queue = Promise.resolve();
scope.onmessage = (e: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(e.data));
};
post({ t: 'ready' });
