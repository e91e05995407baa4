/**
 * What every worker-pool backend (Node worker_threads, browser Web Workers) needs around one run: runs on a
 * shared pool go one at a time, and the first failure (or the caller's abort) stops every lane, wakes
 * anything waiting on the byte budget and settles every job in flight at once.
 */
import type { ByteBudget } from './budget.js';

/** Runs the given functions one after another, whatever each one's outcome. */
export class SerialRuns {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const r = this.tail.then(f);
    this.tail = r.catch(() => {});
    return r;
  }
}

export interface InFlight {
  task: { reject(e: unknown): void } | null;
}

export class FailFast {
  readonly stop = new AbortController();
  failed = false;
  failure: unknown;

  constructor(
    private readonly slots: readonly InFlight[],
    private readonly budget: ByteBudget,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Records the first failure and settles every job in flight with it. */
  readonly fail = (e: unknown): void => {
    if (!this.failed) {
      this.failed = true;
      this.failure = e;
    }
    this.stop.abort(this.failure);
    this.budget.wakeAll();
    for (const s of this.slots) {
      const t = s.task;
      s.task = null;
      t?.reject(this.failure);
    }
  };

  private readonly onAbort = (): void => this.fail(this.signal!.reason);

  /** Detaches from the caller's signal; call once every lane has finished. */
  done(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
