/** Messages between the worker_threads hash pool (node/hash-pool.ts) and its workers (node/hash-worker.ts). */
import type { HashAlgorithm } from '../core/manifest/index.js';
import type { FileTarget } from './checked-open.js';

export type ToWorker =
  /**
   * Read [start, end) of the listed file `target` and hash it, in the worker (file-backed sources). The worker
   * opens it once without following links, checks it is the listed file, and re-checks size and mtime at the end.
   * `hold` (tests only): after the last read and before that final check, the worker posts `held` and waits
   * until the main thread sets hold[0] to 1, so a test can change the file at that exact point.
   */
  | { t: 'file'; job: number; target: FileTarget; start: number; end: number; alg: HashAlgorithm; chunk: number; hold?: Int32Array }
  /** Bytes arrive from the main thread (any other ModelSource). */
  | { t: 'begin'; job: number; alg: HashAlgorithm }
  | { t: 'chunk'; job: number; data: ArrayBuffer }
  | { t: 'end'; job: number };

export type FromWorker =
  | { t: 'ready' }
  /** `n` more bytes hashed (for streamed jobs this also releases `n` bytes of the in-flight budget). */
  | { t: 'progress'; job: number; n: number }
  /** A `hold` job has read its bytes and waits (tests only). */
  | { t: 'held'; job: number }
  | { t: 'done'; job: number; digest: Uint8Array }
  | { t: 'error'; job: number; code: 'MODEL_CHANGED' | 'IO_ERROR' | 'INTERNAL'; message: string };
