/** Messages between the worker_threads hash pool (node/hash-pool.ts) and its workers (node/hash-worker.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { HashAlgorithm } from '../core/manifest/index.js';
import type { WireBatch } from './walk.js';

export type ToWorker =
  /**
   * Hash `lens.length` listed files (file-backed sources), in order, one digest each. A batch holds one large
   * job or many small ones: a message round trip per 1 kB file cost more than hashing it. Per file k the worker
   * opens its file once without following links, checks it is the listed file (dev, ino, size, mtime), reads
   * [start, end) from that fd only and re-checks size and mtime after the last read (checked-open.ts).
   * Columns, not objects, so the structured clone stays cheap: the names (model-relative) joined into one string
   * with their lengths in `lens`; the file read is fileOf(root, name) except where `linkAt` lists k (a symlink's
   * resolved target, in `linkFile`); ids = dev, ino, whole seconds of mtime per file and nsec the rest of mtime
   * (walk.ts); nums = size, start, end per file. `job`: the batch's id, echoed in every reply.
   * `hold` (tests only): after each file's last read and before its final check, the worker posts `held` and
   * waits until the main thread sets hold[0] to 1 (it resets it to 0 before the next file), so a test can change
   * the file at that exact point.
   */
  | {
      t: 'files';
      job: number;
      root: string;
      joined: string;
      lens: Uint32Array;
      linkAt: number[];
      linkFile: string[];
      ids: BigInt64Array;
      nsec: Int32Array;
      nums: Float64Array;
      alg: HashAlgorithm;
      chunk: number;
      hold?: Int32Array;
    }
  /**
   * Walk the directory `root` (walk.ts) and post its batches on `port` (WalkReply). ctl[0] set to 1: stop;
   * ctl[1]: batches the main thread has taken (the worker stays at most a few ahead). `prune`: ask the main
   * thread about each directory's subdirectories before touching them.
   */
  | { t: 'walk'; root: string; port: MessagePort; ctl: Int32Array; prune: boolean }
  /** Bytes arrive from the main thread (any other ModelSource). */
  | { t: 'begin'; job: number; alg: HashAlgorithm }
  | { t: 'chunk'; job: number; data: ArrayBuffer }
  | { t: 'end'; job: number };

/** What a walking worker posts on its walk's port. */
export type WalkReply =
  | { t: 'batch'; b: WireBatch }
  /**
   * Which of `rels` are ignored: the main thread writes 1 (ignored) or 0 into answer[1 + k], then 1 into answer[0]
   * (2: it failed; the walk then stops) and notifies answer[0]; the worker waits on it.
   */
  | { t: 'prune'; rels: string[]; answer: Int32Array };

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
