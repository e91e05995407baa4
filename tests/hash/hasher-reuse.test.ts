/** core's default (hash-wasm) hashers are re-used after digest(): interleaved use must still give exact digests. */
import { createHash, randomBytes } from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import { createHasher, registerHasher, type Hasher } from '../../core/hash/hasher.js';
import type { HashAlgorithm } from '../../core/manifest/index.js';

const reference: Record<HashAlgorithm, (b: Uint8Array) => string> = {
  sha256: (b) => createHash('sha256').update(b).digest('hex'),
  blake2b: (b) => createHash('blake2b512').update(b).digest('hex'),
  blake3: (b) => Buffer.from(blake3(b)).toString('hex'),
};

describe.each(['sha256', 'blake2b', 'blake3'] as const)('%s default hasher reuse', (alg) => {
  it('24 hashers in flight at once, over 5 rounds, each equal to an independent digest', async () => {
    registerHasher(alg, null); // the defaults, whatever another test registered
    for (let round = 0; round < 5; round++) {
      const inputs = Array.from({ length: 24 }, (_, i) => randomBytes((i * 977 + round * 31) % 5000));
      const hashers: Hasher[] = await Promise.all(inputs.map(() => createHasher(alg)));
      // Feed them interleaved, in pieces, so a shared or stale state would mix inputs.
      for (let off = 0; off < 5000; off += 700) inputs.forEach((b, i) => off < b.length && hashers[i]!.update(b.subarray(off, off + 700)));
      const hex = hashers.map((h) => Buffer.from(h.digest()).toString('hex'));
      expect(hex).toEqual(inputs.map((b) => reference[alg](b)));
    }
  });

  it('a hasher cannot be used after digest (its state now belongs to the next job)', async () => {
    registerHasher(alg, null);
    const h = await createHasher(alg);
    h.update(new Uint8Array([1]));
    h.digest();
    expect(() => h.update(new Uint8Array([2]))).toThrow(/after digest/);
    expect(() => h.digest()).toThrow(/after digest/);
    const next = await createHasher(alg);
    expect(Buffer.from(next.digest()).toString('hex')).toBe(reference[alg](new Uint8Array()));
  });
});
