/**
 * One streaming interface over every content hash. Default implementations come from hash-wasm; runtimes
 * register faster or runtime-compatible factories (node:crypto, statically imported wasm in workerd).
 */
import { createBLAKE2b, createBLAKE3, createSHA256 } from 'hash-wasm';
import type { HashAlgorithm } from '../manifest/types.js';

export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

export type HasherFactory = () => Promise<Hasher> | Hasher;

function wrap(p: Promise<{ init(): unknown; update(d: Uint8Array): unknown; digest(f: 'binary'): Uint8Array }>): Promise<Hasher> {
  return p.then((h) => {
    h.init();
    return { update: (c: Uint8Array) => void h.update(c), digest: () => h.digest('binary') };
  });
}

const defaults: Record<HashAlgorithm, HasherFactory> = {
  sha256: () => wrap(createSHA256()),
  blake2b: () => wrap(createBLAKE2b(512)),
  blake3: () => wrap(createBLAKE3()),
};

const registry = new Map<HashAlgorithm, HasherFactory>();

/** Replaces the implementation of one algorithm in this runtime (same digests required). */
export function registerHasher(alg: HashAlgorithm, factory: HasherFactory): void {
  registry.set(alg, factory);
}

export async function createHasher(alg: HashAlgorithm): Promise<Hasher> {
  return (registry.get(alg) ?? defaults[alg])();
}
