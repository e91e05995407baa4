/** Messages between the worker_threads hash pool (cli/hash-pool.ts) and its workers (cli/hash-worker.ts). */
import type { HashAlgorithm } from '../core/manifest/types.js';

export type ToWorker =
  /** Read [start, end) of `file` and hash it, in the worker (file-backed sources). */
  | { t: 'file'; job: number; file: string; start: number; end: number; alg: HashAlgorithm; chunk: number }
  /** Bytes arrive from the main thread (any other ModelSource). */
  | { t: 'begin'; job: number; alg: HashAlgorithm }
  | { t: 'chunk'; job: number; data: ArrayBuffer }
  | { t: 'end'; job: number };

export type FromWorker =
  | { t: 'ready' }
  /** `n` more bytes hashed (for streamed jobs this also releases `n` bytes of the in-flight budget). */
  | { t: 'progress'; job: number; n: number }
  | { t: 'done'; job: number; digest: Uint8Array }
  | { t: 'error'; job: number; code: 'MODEL_CHANGED' | 'IO_ERROR' | 'INTERNAL'; message: string };
