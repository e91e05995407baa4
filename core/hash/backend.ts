/**
 * Hash backends run a plan's jobs against a source. The default streams every job through a Hasher with
 * bounded concurrency (I/O overlap); runtimes plug in pools of threads or workers behind the same interface.
 * Results are keyed by job id, so completion order never changes the manifest.
 */
import { fail, ModelVerifyError } from '../errors.js';
import type { HashJob, JobFeed } from '../serialize/plan.js';
import type { ModelSource } from '../serialize/source.js';
import type { Digests } from './digests.js';
import { createHasher, streamDigester } from './hasher.js';

export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  resourcesDone: number;
  resourcesTotal: number;
  /** Identifier of the resource that most recently advanced. */
  resource?: string;
}

export interface HashRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface HashBackend {
  readonly name: string;
  /** Every job's digest by job id (a Map, or a packed form: core/hash/digests.ts). */
  run(jobs: readonly HashJob[], source: ModelSource, opts?: HashRunOptions): Promise<Digests>;
  /**
   * Optional: the same, but over jobs the walk is still planning (core/serialize/plan.ts JobFeed), so hashing can
   * overlap the walk. It may wait for the whole plan and run it as `run` would. Once the feed ends failed, its
   * result is ignored: it must just settle (and stop its work) soon.
   */
  runFeed?(feed: JobFeed, source: ModelSource, opts?: HashRunOptions): Promise<Digests>;
}

/** Emits progress at most every `intervalMs`, plus always the final state. */
export class ProgressTracker {
  private last = 0;
  readonly state: Progress;
  constructor(
    jobs: readonly HashJob[],
    private readonly cb?: (p: Progress) => void,
    private readonly intervalMs = 100,
  ) {
    this.state = { bytesDone: 0, bytesTotal: jobs.reduce((n, j) => n + (j.end - j.start), 0), resourcesDone: 0, resourcesTotal: jobs.length };
  }
  bytes(n: number, resource: string): void {
    this.state.bytesDone += n;
    this.state.resource = resource;
    this.emit(false);
  }
  done(resource: string): void {
    this.state.resourcesDone++;
    this.state.resource = resource;
    this.emit(this.state.resourcesDone === this.state.resourcesTotal);
  }
  private emit(force: boolean): void {
    if (!this.cb) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    this.cb({ ...this.state });
  }
}

/** Runs `worker` over `items` with at most `limit` in flight, biggest first; rejects on the first failure. */
export async function runPool<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (failed === undefined && next < items.length) {
      signal?.throwIfAborted();
      const item = items[next++]!;
      try {
        await worker(item);
      } catch (e) {
        failed ??= e;
        throw e;
      }
    }
  });
  await Promise.all(lanes);
}

export function largestFirst(jobs: readonly HashJob[]): HashJob[] {
  return [...jobs].sort((a, b) => b.end - b.start - (a.end - a.start));
}

/** Hashes one job from a stream, checking the byte count (a file that changed size must not verify). */
export async function hashJobFromStream(job: HashJob, source: ModelSource, tracker: ProgressTracker, signal?: AbortSignal): Promise<Uint8Array> {
  const native = streamDigester(job.hash);
  const sink = native ? native() : null;
  const hasher = sink ? null : await createHasher(job.hash);
  const expected = job.end - job.start;
  let seen = 0;
  let drained = false;
  const reader = source.open(job.path, { start: job.start, end: job.end }, signal).getReader();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) {
        drained = true;
        break;
      }
      seen += value.byteLength;
      if (seen > expected) break;
      if (sink) await sink.write(value);
      else hasher!.update(value);
      tracker.bytes(value.byteLength, job.id);
    }
  } catch (e) {
    sink?.abort(e);
    if (e instanceof ModelVerifyError) throw e;
    if (signal?.aborted) throw signal.reason ?? e;
    fail('IO_ERROR', `Cannot read '${job.path}': ${(e as Error)?.message ?? e}`, { resource: job.id, cause: e });
  } finally {
    // Leaving early (error, abort, a file that grew): cancel the source so its file handle or request ends now.
    if (!drained) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  if (seen !== expected) {
    sink?.abort(new Error('size changed'));
    fail('MODEL_CHANGED', `'${job.path}' changed size while it was being verified`, { resource: job.id });
  }
  const digest = sink ? await sink.finish() : hasher!.digest();
  tracker.done(job.id);
  return digest;
}

export class StreamingBackend implements HashBackend {
  readonly name = 'streaming';
  constructor(private readonly concurrency = 4) {}
  async run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const tracker = new ProgressTracker(jobs, opts.onProgress);
    await runPool(
      largestFirst(jobs),
      this.concurrency,
      async (job) => {
        out.set(job.id, await hashJobFromStream(job, source, tracker, opts.signal));
      },
      opts.signal,
    );
    return out;
  }
}
