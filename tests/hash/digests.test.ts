/**
 * Every hashing implementation gives the reference digest (node:crypto for sha256/blake2b512, @noble/hashes for
 * blake3) over random sizes, chunk and shard boundaries, and ranges far beyond 4 GiB.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { NodeSource } from '../../node/source.js';
import { StreamingBackend, type HashBackend } from '../../core/hash/backend.js';
import type { Digests } from '../../core/hash/digests.js';
import { registerHasher } from '../../core/hash/hasher.js';
import type { HashAlgorithm } from '../../core/manifest/types.js';
import type { HashJob } from '../../core/serialize/plan.js';
import type { ModelSource } from '../../core/serialize/source.js';
import { toHex } from '../../core/util/bytes.js';
import { wasmHasher } from '../../workerd/wasm/wasm-hasher.js';
import { buildHashWorker } from './build-worker.js';
import { fillAt, SyntheticSource } from './synthetic-source.js';

const ALGS: HashAlgorithm[] = ['sha256', 'blake2b', 'blake3'];
const GiB = 2 ** 30;

function reference(alg: HashAlgorithm, bytes: Uint8Array): string {
  if (alg === 'blake3') return toHex(nobleBlake3(bytes));
  return createHash(alg === 'sha256' ? 'sha256' : 'blake2b512')
    .update(bytes)
    .digest('hex');
}

/** Sizes that sit on the boundaries of the implementations: wasm window 16 KiB, pool chunk 1 MiB, blake blocks. */
const EDGE_SIZES = [0, 1, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 16383, 16384, 16385, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 << 20];
const sizeArb = fc.oneof(fc.constantFrom(...EDGE_SIZES), fc.integer({ min: 0, max: 3 << 19 }));

/** Whole-file jobs plus shard jobs of `shard` bytes for every file (shards method semantics). */
function jobsFor(sizes: Record<string, number>, alg: HashAlgorithm, shard: number, base = 0): HashJob[] {
  const jobs: HashJob[] = [];
  for (const [p, size] of Object.entries(sizes)) {
    jobs.push({ id: p, path: p, start: base, end: base + size, hash: alg });
    for (let s = 0; s < size; s += shard) jobs.push({ id: `${p}:${s}`, path: p, start: base + s, end: base + Math.min(size, s + shard), hash: alg });
  }
  return jobs;
}

let workerUrl: URL;
let dir: string;
const wasmModules = Object.fromEntries(ALGS.map((a) => [a, new WebAssembly.Module(readFileSync(`workerd/wasm/${a}.wasm`))])) as Record<
  HashAlgorithm,
  WebAssembly.Module
>;

beforeAll(async () => {
  workerUrl = await buildHashWorker();
  dir = mkdtempSync(path.join(tmpdir(), 'mv-digests-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withWasmLoader<T>(fn: () => Promise<T>): Promise<T> {
  for (const a of ALGS) registerHasher(a, () => wasmHasher(wasmModules[a], a));
  try {
    return await fn();
  } finally {
    for (const a of ALGS) registerHasher(a, null);
  }
}

async function runAll(jobs: HashJob[], source: ModelSource, pool: NodeHashPool): Promise<Record<string, Digests>> {
  const backends: [string, HashBackend][] = [
    ['node pool', pool],
    ['node single-thread', new NodeCryptoBackend()],
    ['hash-wasm streaming', new StreamingBackend()],
  ];
  const out: Record<string, Digests> = {};
  for (const [name, b] of backends) out[name] = await b.run(jobs, source);
  out['wasm/ loader'] = await withWasmLoader(() => new StreamingBackend().run(jobs, source));
  return out;
}

describe.each(ALGS)('%s: every implementation gives the reference digest', (alg) => {
  it('over synthetic sources of random sizes, whole files and shards', async () => {
    const pool = new NodeHashPool({ workerUrl, threads: 2, maxBytesInFlight: 1 << 20 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(sizeArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1000, max: 1 << 20 }), async (sizes, shard) => {
          const files = Object.fromEntries(sizes.map((s, i) => [`f${i}`, s]));
          const jobs = jobsFor(files, alg, shard);
          const results = await runAll(jobs, new SyntheticSource(files), pool);
          for (const j of jobs) {
            const want = reference(alg, fillAt(new Uint8Array(j.end - j.start), j.start));
            for (const [name, r] of Object.entries(results)) expect(toHex(r.get(j.id)!), `${name} ${j.id}`).toBe(want);
          }
        }),
        { numRuns: 6 },
      );
    } finally {
      await pool.close();
    }
  });

  it('over real files read inside the workers, at edge sizes', async () => {
    const files: Record<string, number> = {};
    EDGE_SIZES.forEach((s, i) => {
      files[`e${i}.bin`] = s;
      writeFileSync(path.join(dir, `e${i}.bin`), fillAt(new Uint8Array(s), 0));
    });
    const source = await NodeSource.open(dir);
    const jobs = jobsFor(files, alg, (1 << 20) - 3);
    const pool = new NodeHashPool({ workerUrl, threads: 2, chunkSize: 65536 });
    try {
      const results = await runAll(jobs, source, pool);
      for (const j of jobs) {
        const want = reference(alg, fillAt(new Uint8Array(j.end - j.start), j.start));
        for (const [name, r] of Object.entries(results)) expect(toHex(r.get(j.id)!), `${name} ${j.id}`).toBe(want);
      }
    } finally {
      await pool.close();
    }
  });

  it('over ranges beyond 4 GiB (offset arithmetic, nothing that large allocated)', async () => {
    const starts = [2 ** 32 - 5, 2 ** 32, 2 ** 32 + 12345, 5 * GiB - 1, 2 ** 33 + 7, 2 ** 40 + 3];
    const len = 70_001;
    const size = 2 ** 40 + 2 * len;
    const source = new SyntheticSource({ huge: size });
    const jobs: HashJob[] = starts.map((s) => ({ id: `huge:${s}`, path: 'huge', start: s, end: s + len, hash: alg }));
    const pool = new NodeHashPool({ workerUrl, threads: 2 });
    try {
      const results = await runAll(jobs, source, pool);
      const seen = new Set<string>();
      for (const j of jobs) {
        const want = reference(alg, fillAt(new Uint8Array(len), j.start));
        seen.add(want);
        for (const [name, r] of Object.entries(results)) expect(toHex(r.get(j.id)!), `${name} ${j.id}`).toBe(want);
      }
      expect(seen.size).toBe(starts.length); // the content really depends on the high offset bits
    } finally {
      await pool.close();
    }
  });
});

it('the pool reads a sparse file at offsets beyond 4 GiB in its workers', async () => {
  const file = path.join(dir, 'sparse.bin');
  const marks = [2 ** 32 - 3, 2 ** 32 + 10_000, 5 * GiB]; // 4 KiB written at each, apart
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, 6 * GiB);
    for (const m of marks) writeSync(fd, fillAt(new Uint8Array(4096), m), 0, 4096, m);
  } finally {
    closeSync(fd);
  }
  const source = await NodeSource.open(file);
  const jobs: HashJob[] = marks.map((m) => ({ id: `${m}`, path: '.', start: m - 100, end: m + 5000, hash: 'sha256' }));
  const pool = new NodeHashPool({ workerUrl, threads: 2 });
  try {
    const got = await pool.run(jobs, source);
    for (const m of marks) {
      const want = new Uint8Array(5100);
      want.set(fillAt(new Uint8Array(4096), m), 100);
      expect(toHex(got.get(`${m}`)!)).toBe(reference('sha256', want));
    }
  } finally {
    await pool.close();
    rmSync(file);
  }
});
