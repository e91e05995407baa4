/** SerialBackend: runs on the shared browser pool happen one at a time; a queued run can still be cancelled. */
import { describe, expect, it, vi } from 'vitest';
import { StreamingBackend } from '../../core/hash/backend.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import type { HashJob } from '../../core/serialize/plan.js';
import { SerialBackend } from '../../browser/serial-backend.js';

const JOBS: HashJob[] = [{ id: 'a', path: 'a', start: 0, end: 3, hash: 'sha256' }];

/** A source whose reads wait for `gate`, to hold a run in progress. */
class GatedSource extends MemorySource {
  constructor(
    private readonly gate: Promise<void>,
    private readonly log: string[],
    private readonly tag: string,
  ) {
    super('m', { a: 'abc' });
  }
  override open(path: string, range?: { start: number; end: number }): ReadableStream<Uint8Array> {
    this.log.push(`open ${this.tag}`);
    const inner = super.open(path, range);
    const gate = this.gate;
    return new ReadableStream({
      async start() {
        await gate;
      },
      async pull(c) {
        const r = await inner.getReader().read();
        if (r.done) c.close();
        else {
          c.enqueue(r.value);
          c.close();
        }
      },
    });
  }
}

describe('SerialBackend', () => {
  it('starts a run only after the previous one finished, and lets a queued run be cancelled', async () => {
    const log: string[] = [];
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const backend = new SerialBackend(new StreamingBackend(2));
    const first = backend.run(JOBS, new GatedSource(gate, log, '1'), {}).then((m) => (log.push('done 1'), m));
    const ctrl = new AbortController();
    const cancelled = backend.run(JOBS, new GatedSource(Promise.resolve(), log, '2'), { signal: ctrl.signal });
    const third = backend.run(JOBS, new GatedSource(Promise.resolve(), log, '3'), {}).then((m) => (log.push('done 3'), m));
    await vi.waitFor(() => expect(log).toContain('open 1'));
    ctrl.abort(new DOMException('stop', 'AbortError'));
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(log).toEqual(['open 1']); // 3 still waits for 1, although 2 left the queue
    openGate();
    const [a, c] = await Promise.all([first, third]);
    expect(log).toEqual(['open 1', 'done 1', 'open 3', 'done 3']);
    expect(Buffer.from(a.get('a')!).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(c.get('a')).toEqual(a.get('a'));
  });
});
