/**
 * Node hash backend on a worker_threads pool: one worker per core, jobs largest first, each worker hashes a
 * whole file or shard with node:crypto (blake3 with hash-wasm). Filesystem jobs are read inside the worker
 * (no copies through the main thread); other sources stream through the main thread under a bounded
 * in-flight byte budget. Abort and worker crashes terminate every worker before `run` settles.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ModelVerifyError } from '../core/errors.js';
import { largestFirst, PackedDigests, ProgressTracker, type Digests, type HashBackend, type HashRunOptions } from '../core/hash/index.js';
import { NodeCryptoBackend } from './crypto-backend.js';
import type { HashJob, JobFeed } from '../core/serialize/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import type { FromWorker, ToWorker } from './hash-protocol.js';
import { fileOf } from './checked-open.js';
import { NodeSource, type WalkHost } from './source.js';
import { putIdentity } from './walk.js';
import { walkInWorker } from './walk-remote.js';
import { ByteBudget } from '../core/hash/index.js';
import { FailFast, SerialRuns } from '../core/hash/index.js';

export interface NodePoolOptions {
  /** Worker count (default: available cores). */
  threads?: number;
  /**
   * Read size inside workers (default 128 KiB). Measured on the 2-core EPYC guest, 2 GiB warm: reads of ≤128 KiB
   * cost ~0.23 s of kernel time, reads of ≥256 KiB ~0.9 s (the copy no longer stays in cache), for the same hashing.
   */
  chunkSize?: number;
  /** Streamed (non-file) sources: bytes posted to workers and not yet hashed, across the pool (default 64 MiB). */
  maxBytesInFlight?: number;
  /** Worker script (default: hash-worker.mjs next to the CLI bundle). */
  workerUrl?: URL;
  /**
   * Tests only: called in the main thread once a file job's worker has read all its bytes and before it checks
   * the file again; the worker waits until the returned promise settles. Makes "the file changed while it was
   * being hashed" deterministic on real files and real workers.
   */
  afterRead?: (job: HashJob) => void | Promise<void>;
  /**
   * A run of at most this many bytes, with no worker started yet, is hashed here in the main thread by the
   * node:crypto backend (the same checked opens and identity checks as the workers): starting a worker costs
   * more than hashing a small model (default 1 MiB; 0 = always the workers).
   */
  inlineBytes?: number;
  /** runFeed: plans of at least this many jobs are hashed while the walk goes on (default 2048; see runFeed). */
  streamFrom?: number;
}

/**
 * node:worker_threads, loaded when the first worker starts: a run of a few small files never starts one, and
 * loading the module cost ~1.3 ms of such a CLI run on the 2-core machine.
 */
const workerThreads = () => process.getBuiltinModule('node:worker_threads');

function defaultWorkerUrl(): URL {
  // Bundled CLI: dist/cli/hash-worker.mjs, beside model-verify.mjs or one up from a split chunk. The npm package's
  // `model-verify/node` (tsc output): hash-worker.js beside this module. From sources: the CLI build output.
  const candidates = ['./hash-worker.mjs', '../hash-worker.mjs', './hash-worker.js', '../dist/cli/hash-worker.mjs'].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((u) => existsSync(u));
  if (!found) throw new ModelVerifyError('INTERNAL', 'The hash worker script is missing: run `npm run build:cli`');
  return found;
}

interface Task {
  /** The job named in crash messages: a batch's first. */
  job: HashJob;
  /** A file batch's jobs, in the order of its digests (streamed tasks: just `job`). */
  jobs: readonly HashJob[];
  /** Every digest of the task, concatenated in the order of `jobs`. */
  resolve(digests: Uint8Array): void;
  reject(e: unknown): void;
  onBytes(n: number): void;
  /** The worker waits on hold[0] after reading file `index` of the batch (see NodePoolOptions.afterRead). */
  held?: (index: number) => void;
}

class Slot {
  /**
   * Tasks posted and not answered yet, oldest first: the worker handles its messages in order, so every reply is
   * the oldest task's. File lanes keep two batches queued so the worker never waits on the main thread between them.
   */
  private queued: Task[] = [];
  exited = false;
  /** The task the worker is on (FailFast and crashes reject it; its lane awaits it before any later one). */
  get task(): Task | null {
    return this.queued[0] ?? null;
  }
  set task(t: Task | null) {
    this.queued = t ? [t] : [];
  }
  enqueue(t: Task): void {
    this.queued.push(t);
  }
  readonly exit: Promise<void>;
  constructor(
    readonly worker: Worker,
    onCrash: (slot: Slot, e: Error) => void,
  ) {
    this.exit = new Promise((res) => worker.once('exit', () => ((this.exited = true), res())));
    worker.on('message', (m: FromWorker) => {
      const t = this.task;
      if (!t || m.t === 'ready') return;
      if (m.t === 'progress') t.onBytes(m.n);
      else if (m.t === 'held') t.held?.(m.index);
      else if (m.t === 'done') this.queued.shift(), t.resolve(m.digests);
      else if (m.t === 'error') {
        this.task = null;
        const job = t.jobs[m.index] ?? t.job;
        t.reject(new ModelVerifyError(m.code, m.message, { resource: job.id }));
      }
    });
    worker.on('error', (e) => onCrash(this, e));
    worker.once('exit', (code) => onCrash(this, new Error(`exited with code ${code}`)));
  }
  post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}

/**
 * File jobs per worker message: small files go many to a message (a round trip per 1 kB file cost more than
 * its hashing: 100k files spent most of their time waiting on messages), up to BATCH_FILES files or BATCH_BYTES
 * bytes, so a batch stays a few milliseconds of work and the lanes still finish together. A job as large as
 * BATCH_BYTES is a batch of its own. The batch's arrays are the only per-batch allocation.
 */
const BATCH_FILES = 256;
const BATCH_BYTES = 1 << 20;

export class NodeHashPool implements HashBackend {
  readonly name = 'node:worker_threads';
  private slots: Slot[] = [];
  private readonly runs = new SerialRuns();
  private readonly threads: number;
  private readonly chunkSize: number;
  private readonly maxInFlight: number;
  private readonly url: URL | undefined;
  private readonly afterRead: NodePoolOptions['afterRead'];
  private readonly inlineBytes: number;
  private readonly streamFrom: number;
  /** Runs asked for and not settled (a worker is lent to a walk only when none is). */
  private pending = 0;

  constructor(o: NodePoolOptions = {}) {
    this.streamFrom = Math.max(1, o.streamFrom ?? 2048);
    this.afterRead = o.afterRead;
    // The test hook observes worker reads: with it, every run goes to the workers.
    this.inlineBytes = o.afterRead ? 0 : (o.inlineBytes ?? 1 << 20);
    this.threads = Math.max(1, o.threads ?? availableParallelism());
    this.chunkSize = o.chunkSize ?? 128 << 10;
    this.maxInFlight = o.maxBytesInFlight ?? 64 << 20;
    this.url = o.workerUrl;
  }

  /** Workers that have been started and have not exited yet. */
  get liveWorkers(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  /** Starts the workers ahead of the first run (CLI: overlaps their start-up with reading the signature). */
  warm(n = this.threads): void {
    this.slots = this.slots.filter((s) => !s.exited); // a worker that died between runs is replaced
    while (this.slots.length < Math.min(n, this.threads)) {
      // A smaller young generation than V8's default: a worker's garbage (stats, names, batches) dies young, and
      // 100k small files grew the walking worker to 22 MB. Measured: 11 MB less RSS at the same CPU (4 MB: more CPU).
      const w = new (workerThreads().Worker)(this.url ?? defaultWorkerUrl(), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      this.slots.push(new Slot(w, (slot, e) => this.crashed(slot, e)));
      // After the listeners: attaching a 'message' listener re-refs the worker's port, so unref last,
      // or an idle warmed worker keeps the process alive.
      w.unref();
    }
  }

  private crashed(slot: Slot, e: Error): void {
    const t = slot.task;
    slot.task = null;
    t?.reject(new ModelVerifyError('INTERNAL', `A hash worker crashed while hashing '${t.job.path}': ${e.message}`, { resource: t.job.id, cause: e }));
  }

  /** Terminates every worker; resolves once all have exited. */
  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate().then(() => s.exit)));
  }

  /** Runs are serialized: the workers serve one run at a time. */
  run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Digests> {
    return this.counted(this.runs.run(() => this.runNow(jobs, source, opts)));
  }

  private counted<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    const settle = () => void this.pending--;
    p.then(settle, settle);
    return p;
  }

  /**
   * Jobs as the walk plans them. A plan that stays below `streamFrom` jobs (and any source but the filesystem) is
   * awaited whole and run as `run` does, largest first; a longer one starts hashing at once, in walk order, while
   * the walk goes on: 100k small files spent ~1 s walking with the workers idle, then ~1 s hashing with the main
   * thread idle. The cost: no largest-first order for such plans (a huge file listed last hashes last, alone).
   *
   * A filesystem source's walk itself runs in the worker the walk would leave idle (the last, see runQueue), when
   * the pool is otherwise idle and that worker is already running (starting one costs more than walking a small
   * model): the walk's lstats, readdirs and symlink checks move off the main thread, which was the critical path.
   */
  runFeed(feed: JobFeed, source: ModelSource, opts: HashRunOptions = {}): Promise<Digests> {
    const files = source instanceof NodeSource ? source : null;
    const host = files && !files.isFile && this.threads > 1 && this.pending === 0 ? this.walkHost() : undefined;
    if (host) files!.walkWith(host);
    const run = this.counted(
      this.runs.run(async () => {
        const { signal } = opts;
        while (!feed.done && !signal?.aborted && (!files || feed.jobs.length < this.streamFrom)) await feed.wait(signal);
        signal?.throwIfAborted();
        if (feed.failed) return new Map(); // the walk's error is what the caller reports
        if (feed.done) return this.runNow(feed.jobs, source, opts);
        return this.runQueue(feed, files!, opts);
      }),
    );
    if (!host) return run;
    return run.finally(() => files!.walkWith(undefined));
  }

  /** Lends the last worker to one walk: the lane that would use it waits for the walk's end (runQueue). */
  private walkHost(): WalkHost {
    let lent = false;
    return {
      walk: (root, prune, signal) => {
        const slot = this.slots[this.threads - 1];
        if (lent || !slot || slot.exited) return null;
        lent = true;
        return walkInWorker(slot.worker, root, prune, signal);
      },
    };
  }

  private async runNow(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions): Promise<Digests> {
    opts.signal?.throwIfAborted();
    if (jobs.length === 0) return new Map();
    if (this.liveWorkers === 0 && jobs.reduce((n, j) => n + (j.end - j.start), 0) <= this.inlineBytes) {
      return new NodeCryptoBackend(1).run(jobs, source, opts); // node:crypto: no hash-wasm to load for a few bytes
    }
    return this.runQueue({ jobs: largestFirst(jobs), done: true, failed: false, bytes: 0 }, source, opts);
  }

  /** The lanes over `queue`: a whole plan (done), or a feed still growing (its jobs in walk order). */
  private async runQueue(
    queue: Pick<JobFeed, 'jobs' | 'done' | 'failed' | 'bytes'> & { wait?: JobFeed['wait'] },
    source: ModelSource,
    opts: HashRunOptions,
  ): Promise<Digests> {
    const { signal } = opts;
    // By position in queue.jobs: a file batch's digests go in as the one buffer its worker sent.
    const out = new PackedDigests(queue.jobs);
    const growing = !queue.done;
    const tracker = new ProgressTracker(queue.jobs, opts.onProgress);
    const lanes = growing ? this.threads : Math.min(this.threads, queue.jobs.length);
    this.warm(lanes);
    const slots = this.slots.slice(0, Math.min(this.slots.length, lanes));
    const budget = new ByteBudget(this.maxInFlight);
    const files = source instanceof NodeSource ? source : null;

    // The first failure settles every job in flight; their workers are terminated below.
    const ff = new FailFast(slots, budget, signal);
    const stop = ff.stop;
    for (const s of slots) s.worker.ref();

    let next = 0;
    const lane = async (slot: Slot, index: number) => {
      // While the walk goes on it has a core of its own: one lane fewer (on 2 cores, 3 busy threads starved the walk).
      if (growing && index > 0 && index === slots.length - 1) while (!queue.done && !stop.signal.aborted) await queue.wait!(stop.signal);
      // File batches: the next one is posted before the previous one's answer is awaited (see Slot.queued).
      let previous: Promise<void> | undefined;
      while (!stop.signal.aborted && !queue.failed) {
        const ready = queue.jobs.length - next;
        if (!queue.done && ready < BATCH_FILES && !(ready > 0 && queue.jobs[next]!.end - queue.jobs[next]!.start >= BATCH_BYTES)) {
          await queue.wait!(stop.signal); // a full batch, a large file or the walk's end
          continue;
        }
        if (ready === 0) break;
        if (growing) {
          tracker.state.resourcesTotal = queue.jobs.length;
          tracker.state.bytesTotal = queue.bytes;
        }
        if (files) {
          const batch = this.fileBatch(slot, files, queue.jobs, next, (n) => (next = n), tracker, out);
          batch.catch(() => {}); // observed below, after `previous`: not an unhandled rejection meanwhile
          if (previous) await previous;
          previous = batch;
        } else {
          const id = next++;
          const job = queue.jobs[id]!;
          const digest = await new Promise<Uint8Array>((resolve, reject) => {
            slot.task = { job, jobs: [job], resolve, reject, onBytes: (n) => tracker.bytes(n, job.id) };
            if (slot.exited) reject(new ModelVerifyError('INTERNAL', 'A hash worker is no longer running', { resource: job.id }));
            else streamJob(slot, id, job, source, budget, stop.signal).catch(reject);
          });
          tracker.done(job.id);
          out.set(job.id, digest);
        }
      }
      await previous;
    };
    await Promise.all(slots.map((s, i) => lane(s, i).catch(ff.fail)));
    ff.done();
    if (ff.failed) {
      // Workers may be mid-job (or dead): terminate them all so nothing keeps running after we return.
      await this.close();
      throw ff.failure;
    }
    for (const s of slots) s.worker.unref();
    return out;
  }

  /**
   * Takes the next batch of file jobs from `queue` (at `at`; `take` moves the shared cursor before any await, so
   * lanes never share a job), sends it to `slot`'s worker and records its digests. Each file is sent with its
   * listed path and identity (statted now if the job was not planned from a listing).
   */
  private async fileBatch(
    slot: Slot,
    files: NodeSource,
    queue: readonly HashJob[],
    at: number,
    take: (next: number) => void,
    tracker: ProgressTracker,
    out: PackedDigests,
  ): Promise<void> {
    const first = queue[at]!;
    let end = at + 1;
    let bytes = first.end - first.start;
    while (end < queue.length && end - at < BATCH_FILES) {
      const j = queue[end]!;
      if (j.hash !== first.hash || bytes + (j.end - j.start) > BATCH_BYTES) break;
      bytes += j.end - j.start;
      end++;
    }
    take(end);
    const jobs = queue.slice(at, end);
    const n = jobs.length;
    const names: string[] = new Array(n);
    const lens = new Uint32Array(n);
    const linkAt: number[] = [];
    const linkFile: string[] = [];
    const ids = new BigInt64Array(3 * n);
    const ids32 = new Int32Array(ids.buffer);
    const nsec = new Int32Array(n);
    const nums = new Float64Array(3 * n);
    for (let k = 0; k < n; k++) {
      const job = jobs[k]!;
      const rel = job.path;
      names[k] = rel;
      lens[k] = rel.length;
      const pos = files.position(rel);
      let file: string | undefined;
      if (pos >= 0) file = files.copyTarget(pos, k, ids32, nsec, nums, 3);
      else {
        // Not from the latest walk (statted since, or never listed): its target, statted now if need be.
        const t = await files.target(rel).catch((e: unknown) => rethrowFor(job, e));
        putIdentity(ids, nsec, k, t.expect.dev, t.expect.ino, t.expect.mtimeNs);
        nums[3 * k] = t.expect.size;
        if (t.file !== fileOf(files.root, rel)) file = t.file;
      }
      if (file !== undefined) {
        linkAt.push(k);
        linkFile.push(file);
      }
      nums[3 * k + 1] = job.start;
      nums[3 * k + 2] = job.end;
    }
    let reported = 0;
    const digests = await new Promise<Uint8Array>((resolve, reject) => {
      const task: Task = { job: first, jobs, resolve, reject, onBytes: (b) => ((reported += b), tracker.bytes(b, first.id)) };
      slot.enqueue(task);
      if (slot.exited) return reject(new ModelVerifyError('INTERNAL', 'A hash worker is no longer running', { resource: first.id }));
      const hold = this.afterRead ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
      const hook = this.afterRead;
      if (hold && hook) {
        // Release the worker whatever the hook does (a failing hook must not leave it waiting forever).
        const release = () => void (Atomics.store(hold, 0, 1), Atomics.notify(hold, 0));
        task.held = (k) =>
          void Promise.resolve()
            .then(() => hook(jobs[k] ?? first))
            .then(release, release);
      }
      const m: ToWorker = {
        t: 'files',
        job: at,
        root: files.root,
        joined: names.join(''),
        lens,
        linkAt,
        linkFile,
        ids,
        nsec,
        nums,
        alg: first.hash,
        chunk: this.chunkSize,
        ...(hold ? { hold } : {}),
      };
      slot.post(m, [lens.buffer, ids.buffer, nsec.buffer, nums.buffer]);
    });
    if (digests.length % n !== 0) throw new ModelVerifyError('INTERNAL', 'A hash worker returned a malformed batch', { resource: first.id });
    // Copied into the run's packed buffer at the batch's position: no object per digest.
    if (bytes > reported) tracker.bytes(bytes - reported, jobs[n - 1]!.id);
    out.put(at, n, digests);
    for (let k = 0; k < n; k++) tracker.done(jobs[k]!.id);
  }
}

/** Errors about a file carry the job's id (a shard names its range) as the resource. */
function rethrowFor(job: HashJob, e: unknown): never {
  if (e instanceof ModelVerifyError) throw new ModelVerifyError(e.code, e.message, { resource: job.id, cause: e });
  throw new ModelVerifyError('IO_ERROR', `Cannot read '${job.path}': ${(e as Error)?.message ?? e}`, { resource: job.id, cause: e });
}

/** Feeds one job's bytes from the main thread to a worker, checking the byte count like hashJobFromStream. */
async function streamJob(slot: Slot, id: number, job: HashJob, source: ModelSource, budget: ByteBudget, signal: AbortSignal): Promise<void> {
  const task = slot.task!;
  const onBytes = task.onBytes;
  task.onBytes = (n) => {
    budget.release(n);
    onBytes(n);
  };
  const expected = job.end - job.start;
  let seen = 0;
  slot.post({ t: 'begin', job: id, alg: job.hash });
  const reader = source.open(job.path, { start: job.start, end: job.end }, signal).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      if (seen > expected) break;
      if (value.byteLength === 0) continue;
      await budget.take(value.byteLength, signal);
      // Transfer whole, unshared buffers; copy views into larger or shared ones.
      const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer;
      const data = whole ? (value.buffer as ArrayBuffer) : value.slice().buffer;
      slot.post({ t: 'chunk', job: id, data }, [data]);
    }
  } catch (e) {
    if (e instanceof ModelVerifyError || signal.aborted) throw e;
    throw new ModelVerifyError('IO_ERROR', `Cannot read '${job.path}': ${(e as Error)?.message ?? e}`, { resource: job.id, cause: e });
  } finally {
    reader.releaseLock();
  }
  if (seen !== expected) throw new ModelVerifyError('MODEL_CHANGED', `'${job.path}' changed size while it was being verified`, { resource: job.id });
  slot.post({ t: 'end', job: id });
}
