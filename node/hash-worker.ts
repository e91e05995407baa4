/**
 * worker_threads entry of the hash pool: node:crypto (OpenSSL, SHA-NI) for sha256 and blake2b512,
 * hash-wasm for blake3 (OpenSSL has none). File jobs read their own bytes synchronously (this thread has
 * nothing else to do) into one reused buffer, many small files per message; streamed jobs hash what the main thread posts.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ModelVerifyError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import { checkIdentitySync, checkRange, checkUnchangedSync, fileOf, openCheckedSync, openListedSync, type FileTarget } from './checked-open.js';
import type { FromWorker, ToWorker, WalkReply } from './hash-protocol.js';
import { BatchBuilder, mtimeNsOf, toWire, Walker, type Prune } from './walk.js';

interface Digester {
  /** `last`: these are the job's final bytes (so a job read in one piece can be hashed in one call). */
  update(b: Uint8Array, last: boolean): void;
  digest(): Uint8Array;
}

/** node:crypto's one-shot digest (Node ≥ 20.12), where there is one. */
const hashOnce = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

/**
 * A factory of digesters for one batch (sequential use only). A small file is read in one piece: node:crypto's
 * one-shot hash then spares it a Hash object (creating one per 1 kB file cost more than hashing it), and blake3's
 * wasm hasher is made once per batch and re-initialised per job. Same algorithms, same bytes, either way.
 */
async function digesters(alg: HashAlgorithm): Promise<() => Digester> {
  if (alg === 'blake3') {
    const { createBLAKE3 } = await import('hash-wasm');
    const h = await createBLAKE3();
    return () => {
      h.init();
      return { update: (b) => void h.update(b), digest: () => h.digest('binary') };
    };
  }
  const name = alg === 'sha256' ? 'sha256' : 'blake2b512';
  return () => {
    let h: Hash | undefined;
    let once: Uint8Array | undefined;
    return {
      update: (b, last) => {
        if (last && !h && !once && hashOnce) once = hashOnce(name, b, 'buffer');
        else (h ??= createHash(name)).update(b);
      },
      digest: () => once ?? new Uint8Array((h ?? createHash(name)).digest()),
    };
  };
}

async function digester(alg: HashAlgorithm): Promise<Digester> {
  return (await digesters(alg))();
}

const port = parentPort!;
/** Progress is batched: one message per chunk would be thousands per GiB at small read sizes. */
const PROGRESS_EVERY = 4 << 20;
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

/** One read buffer per worker, reused by every file (a small file is then one read into memory already mapped). */
let readBuf = Buffer.allocUnsafe(0);

/**
 * One open per file, checked (checked-open.ts): the fd must be the listed regular file; bytes come from that fd
 * only; after the last read one fstat checks size and mtime, so a file that grew, shrank or was rewritten while
 * it was hashed is MODEL_CHANGED. Per file: open, fstat, reads, fstat, close — nothing extra per chunk.
 *
 * A job read in one piece (at most `chunk` bytes) skips the fstat before its read: the one after it checks
 * everything the first would have (regular file, device, inode, size, mtime against the listing) on the fd the
 * bytes came from, and on any failure of the read that check comes first, so a swapped file is MODEL_CHANGED
 * as before. Nothing read reaches a digest the caller sees unless that check passes; the read is bounded by the
 * listed size, and the open cannot block (O_NONBLOCK) or follow a final link (O_NOFOLLOW). For 100k small files
 * that is 100k fstats (and BigIntStats) fewer, a sixth of the workers' time.
 */
function hashFile(h: Digester, t: FileTarget, start: number, end: number, chunk: number, job: number, onHeld?: () => void): number {
  checkRange(t, start, end);
  const whole = end - start <= chunk;
  const fd = whole ? openListedSync(t) : openCheckedSync(t);
  try {
    const size = Math.max(1, Math.min(chunk, end - start));
    if (readBuf.length < size) readBuf = Buffer.allocUnsafe(Math.max(size, Math.min(chunk, 64 << 10)));
    let pos = start;
    let pending = 0;
    while (pos < end) {
      let n: number;
      try {
        n = readSync(fd, readBuf, 0, Math.min(chunk, readBuf.length, end - pos), pos);
      } catch (e) {
        if (whole) checkIdentitySync(fd, t);
        throw new ModelVerifyError('IO_ERROR', `Cannot read '${t.name}': ${(e as Error).message}`);
      }
      if (n === 0) {
        if (whole) checkIdentitySync(fd, t);
        throw new ModelVerifyError('MODEL_CHANGED', `'${t.name}' changed size while it was being verified`);
      }
      h.update(readBuf.subarray(0, n), pos + n >= end);
      pos += n;
      pending += n;
      if (pending >= PROGRESS_EVERY) {
        post({ t: 'progress', job, n: pending });
        pending = 0;
      }
    }
    onHeld?.();
    if (whole) checkIdentitySync(fd, t);
    else checkUnchangedSync(fd, t);
    return pending;
  } finally {
    closeSync(fd);
  }
}

/** A file batch: digests concatenated in order; a failure names the file's index. */
async function hashBatch(m: Extract<ToWorker, { t: 'files' }>, failed: { index: number }): Promise<Uint8Array> {
  const n = m.lens.length;
  let out: Uint8Array | undefined;
  let width = 0;
  const make = await digesters(m.alg);
  let at = 0;
  let link = 0;
  for (let k = 0; k < n; k++) {
    failed.index = k;
    const h = make();
    const name = m.joined.slice(at, (at += m.lens[k]!));
    const file = m.linkAt[link] === k ? m.linkFile[link++]! : fileOf(m.root, name);
    const t: FileTarget = { name, file, expect: { dev: m.ids[3 * k]!, ino: m.ids[3 * k + 1]!, mtimeNs: mtimeNsOf(m.ids, m.nsec, k), size: m.nums[3 * k]! } };
    const hold = m.hold;
    const onHeld = hold
      ? () => {
          post({ t: 'held', job: m.job, index: k });
          Atomics.wait(hold, 0, 0);
          Atomics.store(hold, 0, 0);
        }
      : undefined;
    hashFile(h, t, m.nums[3 * k + 1]!, m.nums[3 * k + 2]!, m.chunk, m.job, onHeld);
    const d = h.digest();
    if (!out) {
      width = d.length;
      out = new Uint8Array(width * n);
    }
    out.set(d, k * width);
  }
  return out ?? new Uint8Array(0);
}

/** Entries per walk batch posted to the main thread, and how many batches it may have waiting untaken. */
const WALK_BATCH = 1024;
const WALK_AHEAD = 8;
/** How often a waiting walk looks at its stop flag again (ms), whatever it waits for. */
const WALK_POLL = 100;

class Stopped extends Error {}

/**
 * A walk (walk.ts) in this otherwise idle thread: batches posted as they fill, at most WALK_AHEAD of them untaken.
 * `prune` is a synchronous round trip to the main thread, which alone knows the ignore rules.
 */
function walk(m: Extract<ToWorker, { t: 'walk' }>): void {
  const { port: out, ctl } = m;
  const stopped = () => Atomics.load(ctl, 0) !== 0;
  const send = (r: WalkReply, transfer: ArrayBuffer[] = []) => out.postMessage(r, transfer);
  const prune: Prune | undefined = m.prune
    ? (rels) => {
        const answer = new Int32Array(new SharedArrayBuffer(4 * (1 + rels.length)));
        send({ t: 'prune', rels: [...rels], answer });
        while (Atomics.load(answer, 0) === 0) {
          if (stopped()) throw new Stopped();
          Atomics.wait(answer, 0, 0, WALK_POLL);
        }
        if (Atomics.load(answer, 0) !== 1) throw new Stopped();
        return Array.from(rels, (_, k) => answer[1 + k] === 1);
      }
    : undefined;
  const w = new Walker(m.root, prune);
  let posted = 0;
  try {
    while (!w.done && !stopped()) {
      for (let taken = Atomics.load(ctl, 1); posted - taken >= WALK_AHEAD && !stopped(); taken = Atomics.load(ctl, 1)) {
        Atomics.wait(ctl, 1, taken, WALK_POLL);
      }
      if (stopped()) break;
      const b = w.step(WALK_BATCH);
      if (b.error instanceof Stopped) break;
      const { wire, transfer } = toWire(b);
      send({ t: 'batch', b: wire }, transfer);
      posted++;
    }
  } catch (e) {
    // Not the walk's own failures (those are a batch's `error`): this thread's. Still a typed end, never silence.
    if (!stopped()) send({ t: 'batch', b: toWire(new BatchBuilder(0).finish(true, e)).wire });
  } finally {
    out.close();
  }
}

const streamed = new Map<number, Promise<Digester>>();

async function onMessage(m: ToWorker): Promise<void> {
  if (m.t === 'walk') return walk(m);
  const failed = { index: 0 };
  try {
    if (m.t === 'files') {
      const digests = await hashBatch(m, failed);
      post({ t: 'done', job: m.job, digests }, [digests.buffer as ArrayBuffer]);
    } else if (m.t === 'begin') {
      streamed.set(m.job, digester(m.alg));
    } else if (m.t === 'chunk') {
      (await streamed.get(m.job)!).update(new Uint8Array(m.data), false);
      post({ t: 'progress', job: m.job, n: m.data.byteLength });
    } else if (m.t === 'end') {
      const h = await streamed.get(m.job)!;
      streamed.delete(m.job);
      const digests = h.digest();
      post({ t: 'done', job: m.job, digests }, [digests.buffer as ArrayBuffer]);
    }
  } catch (e) {
    const code = e instanceof ModelVerifyError && (e.code === 'MODEL_CHANGED' || e.code === 'IO_ERROR') ? e.code : 'INTERNAL';
    post({ t: 'error', job: m.job, index: failed.index, code, message: (e as Error)?.message ?? String(e) });
  }
}

// Messages of one streamed job must be handled in order even though the blake3 set-up is async.
let queue = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue.then(() => onMessage(m));
});
post({ t: 'ready' });
