/**
 * The hash backend for this page: web/hash's BrowserHashPool (a Web Worker pool; WebCrypto, hash-wasm, or pure
 * JS when a CSP blocks wasm; on the page when Workers cannot start). One pool per page, created on first use
 * (never at import time) and reused across verifications.
 */
import type { Digests, HashBackend, HashRunOptions } from '../core/hash/index.js';
import type { HashJob } from '../core/serialize/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { BrowserHashPool } from './hash-pool.js';

/**
 * Runs one verification at a time on a shared pool: the pool's workers hold one task each, so concurrent
 * runs (a page with many badges) would trip over each other. One after another, each run gets every worker.
 */
export class SerialBackend implements HashBackend {
  readonly name: string;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly inner: HashBackend) {
    this.name = inner.name;
  }

  async run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Digests> {
    const prev = this.tail;
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    this.tail = prev.then(() => mine); // the next run waits for the previous one *and* this one
    try {
      await untilOrAborted(prev, opts.signal);
      return await this.inner.run(jobs, source, opts);
    } finally {
      done();
    }
  }
}

function untilOrAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

let shared: HashBackend | undefined;

export async function browserHashBackend(): Promise<HashBackend> {
  shared ??= new SerialBackend(new BrowserHashPool());
  return shared;
}
