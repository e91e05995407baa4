/**
 * One streaming interface over every content hash. Default implementations come from hash-wasm; runtimes
 * register faster or runtime-compatible factories (node:crypto, statically imported wasm in workerd).
 */
import type { HashAlgorithm } from '../manifest/types.js';

export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

export type HasherFactory = () => Promise<Hasher> | Hasher;

interface WasmHasher {
  init(): unknown;
  update(d: Uint8Array): unknown;
  digest(f: 'binary'): Uint8Array;
}

// hash-wasm instantiates a fresh WebAssembly instance (with its own memory) per create call: ~0.2 ms each, and a
// model of 100k small files would allocate 100k instances. Finished hashers are kept and re-initialised instead;
// a hasher abandoned mid-stream (error, abort) is simply never returned. The pool is small: it only needs to
// cover the backend's concurrency.
const IDLE_MAX = 16;
function pooled(load: () => Promise<WasmHasher>): HasherFactory {
  const idle: WasmHasher[] = [];
  return async () => {
    const h = idle.pop() ?? (await load());
    h.init();
    let open = true;
    return {
      update: (c: Uint8Array) => {
        if (!open) throw new Error('Hasher used after digest');
        h.update(c);
      },
      digest: () => {
        if (!open) throw new Error('Hasher used after digest');
        open = false;
        const d = h.digest('binary');
        if (idle.length < IDLE_MAX) idle.push(h);
        return d;
      },
    };
  };
}

// hash-wasm (~45 kB, mostly embedded wasm) is imported on first use: Node and workerd register their own hashers
// and the browser hashes in its worker pool, so a bundle should not make every page download it up front.
const hashWasm = () => import('./wasm-hashers.js');

const defaults: Record<HashAlgorithm, HasherFactory> = {
  sha256: pooled(() => hashWasm().then((m) => m.createSHA256())),
  blake2b: pooled(() => hashWasm().then((m) => m.createBLAKE2b(512))),
  blake3: pooled(() => hashWasm().then((m) => m.createBLAKE3())),
};

const registry = new Map<HashAlgorithm, HasherFactory>();

/** Replaces the implementation of one algorithm in this runtime (same digests required). */
export function registerHasher(alg: HashAlgorithm, factory: HasherFactory | null): void {
  if (factory) registry.set(alg, factory);
  else registry.delete(alg);
}

export async function createHasher(alg: HashAlgorithm): Promise<Hasher> {
  return (registry.get(alg) ?? defaults[alg])();
}

/**
 * A native streaming digest (workerd's `crypto.DigestStream`): no per-chunk JS or wasm hashing, which a
 * synchronous Hasher cannot express. Backends prefer it over `createHasher` when one is registered.
 */
export interface StreamSink {
  /** Resolves when the sink can take more (back-pressure), not when the chunk is hashed. */
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<Uint8Array>;
  abort(reason: unknown): void;
}
export type StreamDigester = () => StreamSink;

const streamRegistry = new Map<HashAlgorithm, StreamDigester>();

export function registerStreamDigester(alg: HashAlgorithm, digester: StreamDigester | null): void {
  if (digester) streamRegistry.set(alg, digester);
  else streamRegistry.delete(alg);
}

export function streamDigester(alg: HashAlgorithm): StreamDigester | undefined {
  return streamRegistry.get(alg);
}
