/**
 * The hashing a browser worker does for one job, also run on the page itself when Workers are unavailable.
 * SHA-256 within the memory budget: one WebCrypto digest (native, ~3× hash-wasm). Otherwise streaming:
 * hash-wasm, or @noble/hashes when a Content-Security-Policy without 'wasm-unsafe-eval' blocks wasm.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createBLAKE2b, createBLAKE3, createSHA256 } from 'hash-wasm';
import type { Hasher } from '../core/hash/index.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import { wasmAllowed } from './wasm-check.js';

export { wasmAllowed };

export class JobError extends Error {
  constructor(
    readonly code: 'MODEL_CHANGED' | 'IO_ERROR',
    message: string,
  ) {
    super(message);
  }
}

export async function streamingHasher(alg: HashAlgorithm, wasm: boolean): Promise<Hasher> {
  if (wasm && wasmAllowed()) {
    const h = await (alg === 'sha256' ? createSHA256() : alg === 'blake2b' ? createBLAKE2b(512) : createBLAKE3());
    return { update: (c) => void h.update(c), digest: () => h.digest('binary') };
  }
  const h = alg === 'sha256' ? sha256.create() : alg === 'blake2b' ? blake2b.create({ dkLen: 64 }) : blake3.create();
  return { update: (c) => void h.update(c), digest: () => h.digest() };
}

async function read(blob: Blob, start: number, end: number): Promise<ArrayBuffer> {
  let buf: ArrayBuffer;
  try {
    buf = await blob.slice(start, end).arrayBuffer();
  } catch (e) {
    throw readError(e);
  }
  if (buf.byteLength !== end - start) throw changed();
  return buf;
}

const readError = (e: unknown) => new JobError('IO_ERROR', `Cannot read the file: ${(e as Error)?.message ?? e}`);
const changed = () => new JobError('MODEL_CHANGED', 'The file changed size while it was being verified');

/** A BYOB reader of the range, or null where Blob streams are not byte streams (then slice().arrayBuffer()). */
function byobReader(blob: Blob, start: number, end: number): ReadableStreamBYOBReader | null {
  try {
    return blob.slice(start, end).stream().getReader({ mode: 'byob' });
  } catch {
    return null;
  }
}

/**
 * Fills `buf[from, to)` from a BYOB reader (the buffer is transferred on every read and comes back as the
 * result's buffer); `n` bytes came, fewer than asked only at the end of the stream.
 */
async function fill(r: ReadableStreamBYOBReader, buf: ArrayBuffer, from: number, to: number): Promise<{ buf: ArrayBuffer; n: number }> {
  let n = 0;
  while (from + n < to) {
    let res: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      res = await r.read(new Uint8Array(buf, from + n, to - from - n));
    } catch (e) {
      throw readError(e);
    }
    if (res.value) {
      buf = res.value.buffer;
      n += res.value.byteLength;
    }
    if (res.done) break;
  }
  return { buf, n };
}

/**
 * Where a worker keeps the buffer of its one-shot jobs between them: a fresh 256 MiB ArrayBuffer per file costs
 * its page faults again each time (measured: ~0.3–0.5 s of CPU per GiB). The pool counts what a worker keeps
 * against its memory budget and tells it to drop the buffer when the run ends.
 */
export interface Scratch {
  /** A buffer of at least `size` bytes. */
  get(size: number): ArrayBuffer;
  /** The buffer back after the job (the reads transferred it: a new object over the same memory). */
  put(buf: ArrayBuffer): void;
}

export interface BlobJob {
  blob: Blob;
  start: number;
  end: number;
  alg: HashAlgorithm;
  oneShot: boolean;
  chunk: number;
  wasm: boolean;
}

/**
 * Hashes a Blob range; `onBytes` after every piece. Pieces are read with a BYOB reader into one buffer that
 * goes round (measured in Chromium: ~1.3 s of CPU per GiB across its processes, against ~2.4 s for 4 MiB
 * `slice().arrayBuffer()` reads and ~1.8 s for one whole-range `arrayBuffer()`); where Blob streams are not
 * byte streams, `slice().arrayBuffer()` with the next piece read while this one is hashed.
 */
export async function hashBlob(j: BlobJob, onBytes: (n: number) => void, aborted: () => boolean = () => false, scratch?: Scratch): Promise<Uint8Array> {
  if (j.end > j.blob.size) throw changed();
  const size = j.end - j.start;
  const oneShot = j.oneShot && j.alg === 'sha256' && !!globalThis.crypto?.subtle;
  const h = oneShot ? null : await streamingHasher(j.alg, j.wasm);
  const r = size > 0 ? byobReader(j.blob, j.start, j.end) : null;
  if (r) {
    try {
      // One-shot: the whole range in one buffer (the pool's memory budget granted it), then one digest.
      let buf = oneShot ? (scratch?.get(size) ?? new ArrayBuffer(size)) : new ArrayBuffer(Math.min(size, Math.max(1, j.chunk)));
      for (let pos = 0; pos < size; ) {
        if (aborted()) throw new DOMException('Aborted', 'AbortError');
        // One-shot: the pieces land one after another in the buffer; streaming: each piece at its start.
        const at = h ? 0 : pos;
        const got = await fill(r, buf, at, Math.min(h ? buf.byteLength : size, at + size - pos));
        buf = got.buf;
        if (got.n === 0) throw changed(); // the stream ended short of the range
        pos += got.n;
        h?.update(new Uint8Array(buf, 0, got.n));
        // One-shot: bytes read count as done (the digest that follows takes a fraction of the read's time), so a
        // progress bar moves during a 256 MiB file instead of jumping at its end.
        onBytes(got.n);
      }
      if (!h) {
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(buf, 0, size)));
        scratch?.put(buf);
        return d;
      }
      return h.digest();
    } finally {
      r.cancel().catch(() => {});
    }
  }
  if (oneShot) {
    const buf = await read(j.blob, j.start, j.end);
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
    onBytes(size);
    return d;
  }
  let pos = j.start;
  let pending = pos < j.end ? read(j.blob, pos, Math.min(j.end, pos + j.chunk)) : null;
  while (pending) {
    if (aborted()) throw new DOMException('Aborted', 'AbortError');
    const buf = await pending;
    pos += buf.byteLength;
    pending = pos < j.end ? read(j.blob, pos, Math.min(j.end, pos + j.chunk)) : null;
    h!.update(new Uint8Array(buf));
    onBytes(buf.byteLength);
  }
  return h!.digest();
}
