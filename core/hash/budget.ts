/**
 * Bytes handed to hash workers and not yet hashed, shared by every lane of one run: back-pressure for
 * pools that stream a source through the main thread (Node worker_threads and browser Web Workers alike).
 */
export class ByteBudget {
  inFlight = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly max: number) {}

  /** Waits until `n` more bytes fit; one chunk larger than the whole budget still goes through, alone. */
  async take(n: number, signal: AbortSignal): Promise<void> {
    while (this.inFlight > 0 && this.inFlight + n > this.max) {
      signal.throwIfAborted();
      await new Promise<void>((r) => this.waiters.push(r));
    }
    signal.throwIfAborted();
    this.inFlight += n;
  }

  release(n: number): void {
    this.inFlight -= n;
    this.wakeAll();
  }

  /** Wakes every waiter (they re-check, or see the abort). */
  wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
