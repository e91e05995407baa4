/**
 * Browser hash backend: a pool of Web Workers (one per `navigator.hardwareConcurrency`), files and shards
 * largest first. Blob-backed sources (picked Files) are posted to workers by reference and read there; SHA-256
 * jobs that fit the memory budget use one WebCrypto digest, the rest stream through hash-wasm (pure JS when
 * CSP blocks wasm). Without Workers (or when they cannot start) the same job code runs on the page.
 */
import { ModelVerifyError } from '../core/index.js';
import { largestFirst, ProgressTracker, type HashBackend, type HashRunOptions } from '../core/hash/index.js';
import type { HashJob } from '../core/serialize/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { wasmAllowed } from './wasm-check.js';
import type { FromWorker, JobSpec, ToWorker } from './hash-protocol.js';
import { ByteBudget } from '../core/hash/index.js';
import { FailFast, SerialRuns } from '../core/hash/index.js';

export interface BrowserBackendOptions {
  /** Worker count (default `navigator.hardwareConcurrency`, at most 8). 0 = hash on the page. */
  workers?: number;
  /**
   * Bytes that WebCrypto one-shot digests may hold at once across the pool (each worker keeps its largest
   * one-shot buffer until the run ends); a SHA-256 job bigger than half of it streams instead. Default: 1/8 of `navigator.deviceMemory` (Chromium; 4 GiB assumed elsewhere), 64 MiB–1 GiB.
   */
  memoryBudget?: number;
  /** Streaming read size (default 1 MiB: measured faster than 256 KiB or 4 MiB pieces through hash-wasm in Chromium). */
  chunkSize?: number;
  /** Sources without Blobs: bytes posted to workers and not yet hashed (default 32 MiB). */
  maxBytesInFlight?: number;
  /** Force the pure-JS hashers (what a CSP without 'wasm-unsafe-eval' gets). */
  allowWasm?: boolean;
  /** Worker factory (CDN/CSP set-ups that serve the worker script from elsewhere; tests). */
  createWorker?: () => Worker;
}

/** Sources whose files are Blobs (browser/file-source.ts BrowserFileSource): workers read them without copies. */
interface BlobSource extends ModelSource {
  file(path: string): Blob | undefined;
}
const hasBlobs = (s: ModelSource): s is BlobSource => typeof (s as Partial<BlobSource>).file === 'function';

function defaultBudget(): number {
  const gb = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory ?? 4;
  return Math.min(1 << 30, Math.max(64 << 20, (gb * 2 ** 30) / 8));
}

function defaultWorker(): Worker {
  return new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module', name: 'model-verify-hash' });
}

interface Task {
  job: HashJob;
  resolve(d: Uint8Array): void;
  reject(e: unknown): void;
  onBytes(n: number): void;
}

class Slot {
  task: Task | null = null;
  alive = true;
  readonly ready: Promise<boolean>;
  constructor(
    readonly worker: Worker,
    onCrash: (slot: Slot, message: string) => void,
  ) {
    let ready!: (ok: boolean) => void;
    this.ready = new Promise((r) => (ready = r));
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === 'ready') return ready(true);
      const t = this.task;
      if (!t) return;
      if (m.t === 'progress') t.onBytes(m.n);
      else if (m.t === 'done') (this.task = null), t.resolve(m.digest);
      else (this.task = null), t.reject(new ModelVerifyError(m.code, m.message, { resource: t.job.id }));
    };
    const crash = (msg: string) => {
      ready(false);
      onCrash(this, msg);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      crash(e.message || 'the worker failed');
    };
    worker.onmessageerror = () => crash('a message could not be decoded');
  }
  terminate(): void {
    this.worker.terminate();
    this.alive = false;
  }
}

export class BrowserHashPool implements HashBackend {
  readonly name = 'browser:web-workers';
  private slots: Slot[] = [];
  private readonly runs = new SerialRuns();
  private readonly o: Required<Omit<BrowserBackendOptions, 'createWorker'>> & { createWorker: () => Worker };

  constructor(o: BrowserBackendOptions = {}) {
    const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
    this.o = {
      workers: o.workers ?? Math.min(8, Math.max(1, cores)),
      memoryBudget: o.memoryBudget ?? defaultBudget(),
      chunkSize: o.chunkSize ?? 1 << 20,
      maxBytesInFlight: o.maxBytesInFlight ?? 32 << 20,
      allowWasm: o.allowWasm ?? true,
      createWorker: o.createWorker ?? defaultWorker,
    };
  }

  /** Workers started and not terminated. */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  close(): void {
    for (const s of this.slots) s.terminate();
    this.slots = [];
  }

  /** Starts up to `n` workers; those that fail to start are dropped (the run then falls back to the page). */
  private async start(n: number): Promise<Slot[]> {
    if (typeof Worker === 'undefined' || this.o.workers === 0) return [];
    this.slots = this.slots.filter((s) => s.alive);
    while (this.slots.length < Math.min(n, this.o.workers)) {
      let w: Worker;
      try {
        w = this.o.createWorker();
      } catch {
        break; // CSP worker-src, sandboxed frames, no module workers
      }
      this.slots.push(new Slot(w, (slot, msg) => this.crashed(slot, msg)));
    }
    const ok = await Promise.all(this.slots.map((s) => s.ready));
    const dead = this.slots.filter((_, i) => !ok[i]);
    for (const s of dead) s.terminate();
    this.slots = this.slots.filter((_, i) => ok[i]);
    return this.slots.slice(0, n);
  }

  private crashed(slot: Slot, msg: string): void {
    const t = slot.task;
    slot.task = null;
    t?.reject(new ModelVerifyError('INTERNAL', `A hash worker crashed while hashing '${t.job.path}': ${msg}`, { resource: t.job.id }));
  }

  /** Runs are serialized: the workers serve one run at a time. */
  run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Map<string, Uint8Array>> {
    return this.runs.run(() => this.runNow(jobs, source, opts));
  }

  private async runNow(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions): Promise<Map<string, Uint8Array>> {
    const { signal } = opts;
    signal?.throwIfAborted();
    const out = new Map<string, Uint8Array>();
    if (jobs.length === 0) return out;
    const tracker = new ProgressTracker(jobs, opts.onProgress);
    const queue = largestFirst(jobs);
    const wasm = this.o.allowWasm && wasmAllowed();
    const slots = await this.start(queue.length);
    const budget = new ByteBudget(this.o.maxBytesInFlight);
    // What the one-shot buffers hold: each worker keeps its largest until the run ends (no page faults per file).
    let heldBytes = 0;

    const ff = new FailFast(slots, budget, signal);
    const stop = ff.stop;

    let next = 0;
    /** The next job for a lane that holds `lane.held` bytes of one-shot buffer. */
    const take = (lane: { held: number }) => {
      const id = next++;
      const job = queue[id]!;
      const size = job.end - job.start;
      // One-shot only while the budget holds every lane's buffer at once (a lane's buffer grows to its largest job).
      const grow = Math.max(0, size - lane.held);
      const oneShot = job.hash === 'sha256' && size <= this.o.memoryBudget / 2 && heldBytes + grow <= this.o.memoryBudget;
      if (oneShot) (lane.held += grow), (heldBytes += grow);
      const spec: JobSpec = { job: id, alg: job.hash, oneShot, chunk: this.o.chunkSize, wasm, progress: !!opts.onProgress };
      return { job, spec };
    };

    const workerLane = async (slot: Slot) => {
      const lane = { held: 0 };
      while (!stop.signal.aborted && next < queue.length) {
        const { job, spec } = take(lane);
        const blob = hasBlobs(source) ? source.file(job.path) : undefined;
        // Bytes streamed from the page land in no kept buffer: their grant ends with the job.
        const release = () => {
          if (blob) return;
          heldBytes -= lane.held;
          lane.held = 0;
        };
        try {
          const digest = await new Promise<Uint8Array>((resolve, reject) => {
            slot.task = { job, resolve, reject, onBytes: (n) => tracker.bytes(n, job.id) };
            if (!slot.alive) return reject(new ModelVerifyError('INTERNAL', 'A hash worker is no longer running', { resource: job.id }));
            if (blob) slot.worker.postMessage({ t: 'blob', blob, start: job.start, end: job.end, ...spec } satisfies ToWorker);
            else streamToWorker(slot, spec, job, source, budget, stop.signal).catch(reject);
          });
          tracker.done(job.id);
          out.set(job.id, digest);
        } finally {
          release();
        }
      }
      // The worker keeps its one-shot buffer until told (a failed run terminates the workers instead).
      if (lane.held > 0 && slot.alive) slot.worker.postMessage({ t: 'drop' } satisfies ToWorker);
    };

    /** No workers: the same job code on the page, one job at a time. */
    const pageLane = async () => {
      // Loaded only here: the hashers are ~60 kB that a page whose workers run never needs to download.
      const { hashBlob } = await import('./hash-job.js');
      while (!stop.signal.aborted && next < queue.length) {
        const lane = { held: 0 }; // nothing kept between jobs here
        const { job, spec } = take(lane);
        try {
          const blob = hasBlobs(source) ? source.file(job.path) : undefined;
          const digest = blob
            ? await hashBlob(
                { blob, start: job.start, end: job.end, ...spec },
                (n) => tracker.bytes(n, job.id),
                () => stop.signal.aborted,
              )
            : await hashStreamOnPage(job, spec, source, (n) => tracker.bytes(n, job.id), stop.signal);
          stop.signal.throwIfAborted();
          tracker.done(job.id);
          out.set(job.id, digest);
        } catch (e) {
          throw toError(e, job);
        } finally {
          heldBytes -= lane.held;
        }
      }
    };

    const lanes = slots.length > 0 ? slots.map((s) => workerLane(s)) : [pageLane()];
    await Promise.all(lanes.map((l) => l.catch(ff.fail)));
    ff.done();
    if (ff.failed) {
      this.close(); // a worker may still be busy (or dead): none survives a failed run
      throw ff.failure;
    }
    return out;
  }
}

function toError(e: unknown, job: HashJob): unknown {
  if (e instanceof ModelVerifyError || (e as Error)?.name === 'AbortError') return e;
  const code = (e as { code?: string })?.code === 'MODEL_CHANGED' ? 'MODEL_CHANGED' : 'IO_ERROR';
  return new ModelVerifyError(code, `Cannot hash '${job.path}': ${(e as Error)?.message ?? e}`, { resource: job.id, cause: e });
}

async function* chunks(job: HashJob, source: ModelSource, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const expected = job.end - job.start;
  let seen = 0;
  const reader = source.open(job.path, { start: job.start, end: job.end }, signal).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      if (seen > expected) break;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
  if (seen !== expected) throw new ModelVerifyError('MODEL_CHANGED', `'${job.path}' changed size while it was being verified`, { resource: job.id });
}

async function streamToWorker(slot: Slot, spec: JobSpec, job: HashJob, source: ModelSource, budget: ByteBudget, signal: AbortSignal): Promise<void> {
  const task = slot.task!;
  const onBytes = task.onBytes;
  task.onBytes = (n) => {
    budget.release(n);
    onBytes(n);
  };
  slot.worker.postMessage({ t: 'begin', ...spec, oneShot: false } satisfies ToWorker);
  try {
    for await (const value of chunks(job, source, signal)) {
      if (value.byteLength === 0) continue;
      await budget.take(value.byteLength, signal);
      const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer;
      const data = whole ? (value.buffer as ArrayBuffer) : value.slice().buffer;
      slot.worker.postMessage({ t: 'chunk', job: spec.job, data } satisfies ToWorker, [data]);
    }
  } catch (e) {
    throw toError(e, job);
  }
  slot.worker.postMessage({ t: 'end', job: spec.job } satisfies ToWorker);
}

async function hashStreamOnPage(job: HashJob, spec: JobSpec, source: ModelSource, onBytes: (n: number) => void, signal: AbortSignal): Promise<Uint8Array> {
  const { streamingHasher } = await import('./hash-job.js');
  const h = await streamingHasher(job.hash, spec.wasm);
  for await (const value of chunks(job, source, signal)) {
    h.update(value);
    onBytes(value.byteLength);
  }
  return h.digest();
}
