/**
 * Hasher over one of hash-wasm's binaries (extracted into wasm/ by scripts/extract-wasm.mjs), given as an
 * already compiled WebAssembly.Module: workerd only instantiates modules imported statically, never bytes.
 * hash-wasm's own API always compiles from base64 at runtime, so this calls the binary's exports directly.
 */
import type { Hasher } from '../../core/hash/index.js';
import type { HashAlgorithm } from '../../core/manifest/index.js';

interface HashExports {
  memory: WebAssembly.Memory;
  Hash_GetBuffer(): number;
  Hash_Init(param: number): void;
  Hash_Update(length: number): void;
  Hash_Final(param: number): void;
}

/** The binaries' I/O window: hash-wasm never hands more than 16 KiB to one Hash_Update call. */
const WINDOW = 16 * 1024;

/** Hash_Init / Hash_Final parameters and digest length, as hash-wasm's createSHA256/BLAKE2b(512)/BLAKE3(256) pass them. */
const PARAMS: Record<HashAlgorithm, { init: number; final: number; size: number }> = {
  sha256: { init: 256, final: 0, size: 32 },
  blake2b: { init: 512, final: 0, size: 64 },
  blake3: { init: 0, final: 32, size: 32 },
};

export function wasmHasher(module: WebAssembly.Module, alg: HashAlgorithm): Hasher {
  const p = PARAMS[alg];
  const x = new WebAssembly.Instance(module, {}).exports as unknown as HashExports;
  const offset = x.Hash_GetBuffer();
  const window = new Uint8Array(x.memory.buffer, offset, WINDOW);
  x.Hash_Init(p.init);
  let finished = false;
  return {
    update(chunk: Uint8Array) {
      if (finished) throw new Error('update() after digest()');
      for (let i = 0; i < chunk.byteLength; i += WINDOW) {
        const piece = chunk.subarray(i, i + WINDOW);
        window.set(piece);
        x.Hash_Update(piece.byteLength);
      }
    },
    digest() {
      if (finished) throw new Error('digest() called twice');
      finished = true;
      x.Hash_Final(p.final);
      return window.slice(0, p.size);
    },
  };
}
