/**
 * In-thread Node hash backend: node:crypto (OpenSSL, SHA-NI) for sha256/blake2b read straight from file handles,
 * hash-wasm for blake3. The CLI uses the worker_threads pool (hash-pool.ts); this one serves embedders that
 * must not start threads, and the tests as a second implementation.
 */
import { createHash } from 'node:crypto';
import { fail, ModelVerifyError } from '../core/errors.js';
import { hashJobFromStream, largestFirst, ProgressTracker, runPool, type HashBackend, type HashRunOptions } from '../core/hash/index.js';
import type { HashJob } from '../core/serialize/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { checkRange, checkUnchanged, openChecked, type FileTarget } from './checked-open.js';
import { NodeSource } from './source.js';

const NODE_ALG: Record<string, string> = { sha256: 'sha256', blake2b: 'blake2b512' };
const CHUNK = 4 << 20;

/**
 * Hashes [job.start, job.end) of a listed file: one open without following links, checked against the listing,
 * reads from that handle only, size and mtime checked again after the last read (checked-open.ts).
 */
export async function hashFileRange(target: FileTarget, job: HashJob, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  const h = createHash(NODE_ALG[job.hash]!);
  const withId = (e: unknown): never => {
    if (e instanceof ModelVerifyError && e.code !== 'ABORTED') throw new ModelVerifyError(e.code, e.message, { resource: job.id, cause: e });
    throw e;
  };
  try {
    checkRange(target, job.start, job.end);
  } catch (e) {
    withId(e);
  }
  const fh = await openChecked(target).catch(withId);
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, job.end - job.start)));
    let pos = job.start;
    while (pos < job.end) {
      signal?.throwIfAborted();
      const want = Math.min(buf.length, job.end - pos);
      const { bytesRead } = await fh
        .read(buf, 0, want, pos)
        .catch((e: Error) => fail('IO_ERROR', `Cannot read '${job.path}': ${e.message}`, { resource: job.id }));
      if (bytesRead === 0) fail('MODEL_CHANGED', `'${job.path}' changed size while it was being verified`, { resource: job.id });
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      onBytes?.(bytesRead);
    }
    await checkUnchanged(fh, target).catch(withId);
  } finally {
    await fh.close();
  }
  return new Uint8Array(h.digest());
}

export class NodeCryptoBackend implements HashBackend {
  readonly name = 'node:crypto';
  constructor(private readonly concurrency = 2) {}
  async run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const tracker = new ProgressTracker(jobs, opts.onProgress);
    await runPool(
      largestFirst(jobs),
      this.concurrency,
      async (job) => {
        let d: Uint8Array;
        if (source instanceof NodeSource && NODE_ALG[job.hash]) {
          const target = await source.target(job.path).catch((e: unknown) => {
            if (e instanceof ModelVerifyError) throw new ModelVerifyError(e.code, e.message, { resource: job.id, cause: e });
            throw e;
          });
          d = await hashFileRange(target, job, (n) => tracker.bytes(n, job.id), opts.signal);
          tracker.done(job.id);
        } else {
          d = await hashJobFromStream(job, source, tracker, opts.signal);
        }
        out.set(job.id, d);
      },
      opts.signal,
    );
    return out;
  }
}
