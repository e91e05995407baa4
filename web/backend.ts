/**
 * Picks the hash backend for this page. Wasm can be blocked by a Content-Security-Policy without
 * 'wasm-unsafe-eval'; the element must still work there, so pure-JS hashers (slower) replace hash-wasm.
 */
import { registerHasher } from '../core/hash/hasher.js';
import { StreamingBackend, type HashBackend } from '../core/hash/backend.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** The smallest valid module (magic + version): compiling it fails only when the embedder forbids wasm. */
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export function wasmAllowed(): boolean {
  try {
    return typeof WebAssembly === 'object' && new WebAssembly.Module(EMPTY_WASM) instanceof WebAssembly.Module;
  } catch {
    return false;
  }
}

let pureJs = false;
export function usePureJsHashers(): void {
  if (pureJs) return;
  pureJs = true;
  const wrap = (h: { update(b: Uint8Array): unknown; digest(): Uint8Array }) => ({ update: (c: Uint8Array) => void h.update(c), digest: () => h.digest() });
  registerHasher('sha256', () => wrap(sha256.create()));
  registerHasher('blake2b', () => wrap(blake2b.create({ dkLen: 64 })));
  registerHasher('blake3', () => wrap(blake3.create()));
}

let chosen: Promise<HashBackend> | undefined;

/** Decided once per page, on first use (never at import time). */
export function browserHashBackend(): Promise<HashBackend> {
  chosen ??= (async () => {
    if (!wasmAllowed()) usePureJsHashers();
    return new StreamingBackend(2);
  })();
  return chosen;
}
