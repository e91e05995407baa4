/** The wasm/ binaries are exactly what scripts/extract-wasm.mjs pulls out of hash-wasm, and give hash-wasm's digests. */
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBLAKE2b, createBLAKE3, createSHA256 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import type { HashAlgorithm } from '../../core/manifest/types.js';
import { toHex } from '../../core/util/bytes.js';
import { wasmHasher } from '../../workerd/wasm/wasm-hasher.js';

const ALGS: HashAlgorithm[] = ['sha256', 'blake2b', 'blake3'];
const hashWasm = { sha256: () => createSHA256(), blake2b: () => createBLAKE2b(512), blake3: () => createBLAKE3() };

it('wasm/ holds a fresh extraction from the installed hash-wasm, byte for byte', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mv-wasm-'));
  try {
    execFileSync(process.execPath, ['scripts/extract-wasm.mjs', dir]);
    for (const a of ALGS) expect(readFileSync(path.join(dir, `${a}.wasm`)).equals(readFileSync(`workerd/wasm/${a}.wasm`)), a).toBe(true);
    expect(readFileSync(path.join(dir, 'wasm-manifest.json'), 'utf8')).toBe(readFileSync('workerd/wasm/wasm-manifest.json', 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.each(ALGS)('%s', (alg) => {
  const module = new WebAssembly.Module(readFileSync(`workerd/wasm/${alg}.wasm`));

  it('has no imports (instantiable anywhere, workerd included)', () => {
    expect(WebAssembly.Module.imports(module)).toEqual([]);
  });

  it("gives hash-wasm's digest for random data fed in random pieces", async () => {
    const ref = await hashWasm[alg]();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 70_000 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 5 }),
        async (data, cuts) => {
          const h = wasmHasher(module, alg);
          let i = 0;
          for (let k = 0; i < data.length; k++) {
            const n = cuts[k % cuts.length]!;
            h.update(data.subarray(i, i + n));
            i += n;
          }
          ref.init();
          ref.update(data);
          expect(toHex(h.digest())).toBe(ref.digest('hex'));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses use after digest', () => {
    const h = wasmHasher(module, alg);
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow();
    expect(() => h.digest()).toThrow();
  });
});
