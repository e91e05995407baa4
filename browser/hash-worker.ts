/// <reference lib="webworker" />
/**
 * Web Worker entry of BrowserHashPool. Bundlers pick it up from
 * `new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' })`.
 */
import type { Hasher } from '../core/hash/index.js';
import { hashBlob, JobError, streamingHasher } from './hash-job.js';
import type { FromWorker, ToWorker } from './hash-protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const streamed = new Map<number, Promise<Hasher>>();

async function handle(m: ToWorker): Promise<void> {
  try {
    let digest: Uint8Array | undefined;
    if (m.t === 'blob') {
      digest = await hashBlob(m, (n) => post({ t: 'progress', job: m.job, n }));
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
