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
    throw new JobError('IO_ERROR', `Cannot read the file: ${(e as Error)?.message ?? e}`);
  }
  if (buf.byteLength !== end - start) throw new JobError('MODEL_CHANGED', 'The file changed size while it was being verified');
  return buf;
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

/** Hashes a Blob range; `onBytes` after every piece. The next piece is read while this one is hashed. */
export async function hashBlob(j: BlobJob, onBytes: (n: number) => void, aborted: () => boolean = () => false): Promise<Uint8Array> {
  if (j.end > j.blob.size) throw new JobError('MODEL_CHANGED', 'The file changed size while it was being verified');
  if (j.oneShot && j.alg === 'sha256' && globalThis.crypto?.subtle) {
    const buf = await read(j.blob, j.start, j.end);
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
    onBytes(j.end - j.start);
    return d;
  }
  const h = await streamingHasher(j.alg, j.wasm);
  let pos = j.start;
  let pending = pos < j.end ? read(j.blob, pos, Math.min(j.end, pos + j.chunk)) : null;
  while (pending) {
    if (aborted()) throw new DOMException('Aborted', 'AbortError');
    const buf = await pending;
    pos += buf.byteLength;
    pending = pos < j.end ? read(j.blob, pos, Math.min(j.end, pos + j.chunk)) : null;
    h.update(new Uint8Array(buf));
    onBytes(buf.byteLength);
  }
  return h.digest();
}
