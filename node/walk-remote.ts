/**
 * The main thread's side of a walk run by a hash worker (hash-worker.ts `walk`): batches arrive on a port of their
 * own and are taken in order; the worker's questions about ignored directories are answered from here (the ignore
 * rules are the caller's function); the worker dying, an abort, or the consumer stopping ends the walk with a
 * typed error or a stop, never a hang.
 */
import type { Worker } from 'node:worker_threads';
import { ModelVerifyError } from '../core/errors.js';
import type { ToWorker, WalkReply } from './hash-protocol.js';
import type { WalkFeed } from './source.js';
import { fromWire, type Prune, type WalkBatch } from './walk.js';

/** Batches taken between two turns of the event loop (a queue of ready batches would otherwise starve it). */
const TURN_EVERY = 4;

export function walkInWorker(worker: Worker, root: string, prune: Prune | undefined, signal?: AbortSignal): WalkFeed {
  // The worker is running, so node:worker_threads is loaded (hash-pool.ts loads it when it starts one).
  const { port1, port2 } = new (process.getBuiltinModule('node:worker_threads').MessageChannel)();
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const ready: WalkBatch[] = [];
  let waiter: { resolve: (b: WalkBatch) => void; reject: (e: unknown) => void } | undefined;
  let failure: { e: unknown } | undefined;
  let stopped = false;
  /** The walk's last batch arrived (the worker closes the port after it). */
  let ended = false;
  let taken = 0;

  const take = (b: WalkBatch): WalkBatch => {
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    return b;
  };
  const fail = (e: unknown) => {
    failure ??= { e };
    const w = waiter;
    waiter = undefined;
    stop();
    w?.reject(failure.e);
  };
  const onExit = (code: number) => fail(new ModelVerifyError('INTERNAL', `The hash worker walking the model stopped (exit code ${code})`));
  const onError = (e: Error) => fail(new ModelVerifyError('INTERNAL', `The hash worker walking the model crashed: ${e.message}`, { cause: e }));
  const onAbort = () => fail(signal!.reason);

  port1.on('message', (m: WalkReply) => {
    if (stopped) return;
    if (m.t === 'batch') {
      const b = fromWire(m.b);
      if (b.done) ended = true;
      const w = waiter;
      waiter = undefined;
      if (w) {
        port1.unref();
        w.resolve(take(b));
      } else ready.push(b);
    } else if (m.t === 'prune') {
      let state = 1;
      try {
        const a = prune!(m.rels);
        for (let k = 0; k < m.rels.length; k++) m.answer[1 + k] = a[k] ? 1 : 0;
      } catch (e) {
        state = 2;
        fail(e);
      }
      Atomics.store(m.answer, 0, state);
      Atomics.notify(m.answer, 0);
    }
  });
  // The port closing before the last batch arrived: the worker is gone (its exit says why, when it comes).
  port1.once('close', () => {
    if (!stopped && !ended) setImmediate(() => fail(new ModelVerifyError('INTERNAL', 'The hash worker walking the model stopped before the walk ended')));
  });
  worker.once('exit', onExit);
  worker.on('error', onError);
  signal?.addEventListener('abort', onAbort, { once: true });
  // The port keeps the process alive only while someone awaits a batch: a walk its reader abandoned without
  // return() must not keep a finished process from exiting.
  port1.unref();

  function stop(): void {
    if (stopped) return;
    stopped = true;
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 1);
    ready.length = 0;
    port1.close();
    worker.off('exit', onExit);
    worker.off('error', onError);
    signal?.removeEventListener('abort', onAbort);
  }

  const msg: ToWorker = { t: 'walk', root, port: port2, ctl, prune: !!prune };
  worker.postMessage(msg, [port2]);

  return {
    next: () => {
      if (failure) return Promise.reject(failure.e);
      const b = ready.shift();
      if (b) {
        if (++taken % TURN_EVERY !== 0) return take(b);
        return new Promise((r) => setImmediate(() => r(take(b))));
      }
      if (stopped) return Promise.reject(new ModelVerifyError('INTERNAL', 'The walk was read after it stopped'));
      port1.ref();
      return new Promise<WalkBatch>((resolve, reject) => (waiter = { resolve, reject }));
    },
    stop,
  };
}
