/** Messages between the worker_threads hash pool (node/hash-pool.ts) and its workers (node/hash-worker.ts). */
import type { HashAlgorithm } from '../core/manifest/index.js';

export type ToWorker =
  /**
   * Hash `names.length` listed files (file-backed sources), in order, one digest each. A batch holds one large
   * job or many small ones: a message round trip per 1 kB file cost more than hashing it. Per file k the worker
   * opens files[k] once without following links, checks it is the listed file (dev, ino, size, mtime), reads
   * [start, end) from that fd only and re-checks size and mtime after the last read (checked-open.ts).
   * Columns, not objects, so the structured clone stays cheap: ids = dev, ino, mtimeNs per file; nums = size,
   * start, end per file. `job`: the batch's id, echoed in every reply.
   * `hold` (tests only): after each file's last read and before its final check, the worker posts `held` and
   * waits until the main thread sets hold[0] to 1 (it resets it to 0 before the next file), so a test can change
   * the file at that exact point.
   */
  | {
      t: 'files';
      job: number;
      names: string[];
      files: string[];
      ids: BigUint64Array;
      nums: Float64Array;
      alg: HashAlgorithm;
      chunk: number;
      hold?: Int32Array;
    }
  /** Bytes arrive from the main thread (any other ModelSource). */
  | { t: 'begin'; job: number; alg: HashAlgorithm }
  | { t: 'chunk'; job: number; data: ArrayBuffer }
  | { t: 'end'; job: number };

export type FromWorker =
  | { t: 'ready' }
  /**
   * `n` more bytes hashed (for streamed jobs this also releases `n` bytes of the in-flight budget). File batches
   * report only every few MiB: `done` accounts for the rest.
   */
  | { t: 'progress'; job: number; n: number }
  /** File `index` of a `hold` batch has read its bytes and waits (tests only). */
  | { t: 'held'; job: number; index: number }
  /** Every digest of the job (a streamed job: one; a file batch: one per file, concatenated in order). */
  | { t: 'done'; job: number; digests: Uint8Array }
  /** `index`: the file of a batch that failed (0 for streamed jobs). */
  | { t: 'error'; job: number; index: number; code: 'MODEL_CHANGED' | 'IO_ERROR' | 'INTERNAL'; message: string };
