/** Messages between BrowserHashPool (browser-backend.ts) and its Web Workers (hash-worker.ts). */
import type { HashAlgorithm } from '../core/manifest/index.js';

export interface JobSpec {
  job: number;
  alg: HashAlgorithm;
  /** WebCrypto one-shot digest of the whole range (granted by the pool's memory budget), else streaming. */
  oneShot: boolean;
  /** Read size for streaming. */
  chunk: number;
  /** False when the page's CSP blocks wasm: pure-JS hashers instead of hash-wasm. */
  wasm: boolean;
  /** Blob jobs: post progress (nobody listens to a run without onProgress). */
  progress: boolean;
}

export type ToWorker =
  /** Hash [start, end) of a Blob (File) posted by reference: the worker reads it itself, no copy in the page. */
  | ({ t: 'blob'; blob: Blob; start: number; end: number } & JobSpec)
  /** Bytes come from the page (sources without Blobs). */
  | ({ t: 'begin' } & JobSpec)
  | { t: 'chunk'; job: number; data: ArrayBuffer }
  | { t: 'end'; job: number }
  /** The run is over: free the buffer kept for one-shot jobs. */
  | { t: 'drop' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'progress'; job: number; n: number }
  | { t: 'done'; job: number; digest: Uint8Array }
  | { t: 'error'; job: number; code: 'MODEL_CHANGED' | 'IO_ERROR' | 'INTERNAL'; message: string };
