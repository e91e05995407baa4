/**
 * BrowserHashPool in real Chromium: Web Workers reading picked Files, WebCrypto one-shot vs hash-wasm streaming,
 * the page fallback (no Workers, wasm blocked), cancellation and a crashing worker. References: WebCrypto for
 * SHA-256 over the whole buffer, @noble/hashes for BLAKE2b/BLAKE3.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelVerifyError } from '../../core/errors.js';
import type { HashAlgorithm } from '../../core/manifest/types.js';
import type { HashJob } from '../../core/serialize/plan.js';
import type { ModelSource } from '../../core/serialize/source.js';
import { toHex } from '../../core/util/bytes.js';
import { BrowserFileSource } from '../../browser/file-source.js';
import { BrowserHashPool, type BrowserBackendOptions } from '../../browser/hash-pool.js';

const ALGS: HashAlgorithm[] = ['sha256', 'blake2b', 'blake3'];
const SIZES = [0, 1, 63, 64, 65, 16383, 16384, 16385, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3_000_017];

function random(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

async function reference(alg: HashAlgorithm, data: Uint8Array<ArrayBuffer>): Promise<string> {
  if (alg === 'sha256') return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
  return toHex(alg === 'blake2b' ? blake2b(data, { dkLen: 64 }) : blake3(data));
}

const contents = new Map<string, Uint8Array<ArrayBuffer>>(SIZES.map((s, i) => [`dir/f${i}.bin`, random(s)]));
const picked = () => BrowserFileSource.fromPicked([...contents].map(([path, d]) => ({ path, file: new File([d], path.slice(4)) })));

/** Whole files plus shards that cut them at odd offsets. */
function jobs(alg: HashAlgorithm): HashJob[] {
  const out: HashJob[] = [];
  SIZES.forEach((s, i) => {
    const path = `f${i}.bin`;
    out.push({ id: path, path, start: 0, end: s, hash: alg });
    for (let o = 0; o < s; o += 700_001) out.push({ id: `${path}:${o}`, path, start: o, end: Math.min(s, o + 700_001), hash: alg });
  });
  return out;
}

/** The same files with no `file()` accessor: bytes go through the page to the workers. */
function streamOnly(src: BrowserFileSource): ModelSource {
  return { name: src.name, listable: true, list: (o) => src.list(o), stat: (p) => src.stat(p), open: (p, r) => src.open(p, r) };
}

let backends: BrowserHashPool[] = [];
const make = (o: BrowserBackendOptions) => {
  const b = new BrowserHashPool(o);
  backends.push(b);
  return b;
};
afterEach(() => {
  for (const b of backends) b.close();
  backends = [];
});

const MODES: [string, BrowserBackendOptions, boolean][] = [
  ['workers, WebCrypto one-shot within budget', { memoryBudget: 1 << 30 }, false],
  // Each worker keeps its largest one-shot buffer for the run: a budget that holds two of them, not every job's.
  ['workers, one-shot buffers kept per worker within a tight budget', { memoryBudget: 6_000_034 }, false],
  ['workers, streaming hash-wasm (budget 0)', { memoryBudget: 0, chunkSize: 100_003 }, false],
  ['workers, bytes streamed from the page', {}, true],
  ['no workers (page fallback)', { workers: 0, chunkSize: 65_537 }, false],
  ['wasm blocked: pure-JS hashers', { allowWasm: false, memoryBudget: 0 }, false],
  [
    'Workers that cannot be created',
    {
      createWorker: () => {
        throw new Error('blocked by CSP');
      },
    },
    false,
  ],
];

describe.each(ALGS)('%s', (alg) => {
  it.each(MODES)('%s gives the reference digests', async (_name, opts, streamed) => {
    const src = picked();
    const b = make(opts);
    const got = await b.run(jobs(alg), streamed ? streamOnly(src) : src);
    for (const j of jobs(alg)) {
      const data = contents.get(`dir/${j.path}`)!.slice(j.start, j.end);
      expect(toHex(got.get(j.id)!), `${j.id}`).toBe(await reference(alg, data));
    }
  });
});

it('uses navigator.hardwareConcurrency workers and reports progress to the last byte', async () => {
  const b = make({});
  const events: number[] = [];
  const js = jobs('sha256');
  await b.run(js, picked(), { onProgress: (p) => events.push(p.bytesDone) });
  expect(b.liveWorkers).toBe(Math.min(8, navigator.hardwareConcurrency, js.length));
  expect(events.at(-1)).toBe(js.reduce((n, j) => n + j.end - j.start, 0));
});

/** A Blob whose stream() is a plain (not a byte) stream, as in engines without BYOB readers for Blobs. */
class PlainStreamBlob extends Blob {
  override slice(start?: number, end?: number): Blob {
    return new PlainStreamBlob([super.slice(start, end)]);
  }
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const inner = super.stream().getReader();
    return new ReadableStream({ pull: async (c) => void (await inner.read().then((r) => (r.done ? c.close() : c.enqueue(r.value)))) });
  }
}

it('reads Blobs without byte streams through slice().arrayBuffer(), one-shot and streaming alike', async () => {
  const data = contents.get('dir/f11.bin')!;
  const blob = new PlainStreamBlob([data]);
  expect(() => blob.stream().getReader({ mode: 'byob' })).toThrow(TypeError);
  const src = BrowserFileSource.fromPicked([{ path: 'f.bin', file: blob }]);
  const job: HashJob = { id: '.', path: '.', start: 5, end: data.length - 3, hash: 'sha256' };
  const want = await reference('sha256', data.slice(5, data.length - 3));
  for (const opts of [{ workers: 0 }, { workers: 0, memoryBudget: 0, chunkSize: 65_537 }]) {
    expect(toHex((await make(opts).run([job], src)).get('.')!)).toBe(want);
  }
});

describe('cancellation and crashes', () => {
  const big = () =>
    BrowserFileSource.fromPicked([
      { path: 'm/big.bin', file: new File([new Uint8Array(96 << 20)], 'big.bin') },
      { path: 'm/big2.bin', file: new File([new Uint8Array(96 << 20)], 'big2.bin') },
    ]);
  const bigJobs: HashJob[] = ['big.bin', 'big2.bin'].map((p) => ({ id: p, path: p, start: 0, end: 96 << 20, hash: 'blake2b' }));

  it('an abort rejects the run and terminates every worker', async () => {
    const b = make({ chunkSize: 1 << 20 });
    const ctl = new AbortController();
    const run = b.run(bigJobs, big(), { signal: ctl.signal, onProgress: (p) => p.bytesDone > 0 && ctl.abort(new ModelVerifyError('ABORTED', 'test')) });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(b.liveWorkers).toBe(0);
  });

  it('a worker that dies mid-job is an error, not a hang', async () => {
    const script = `postMessage({ t: 'ready' }); onmessage = (e) => { postMessage({ t: 'progress', job: e.data.job, n: 1 }); setTimeout(() => { throw new Error('boom'); }); };`;
    const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
    const b = make({ createWorker: () => new Worker(url) });
    const err = await b.run(bigJobs, big()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelVerifyError);
    expect((err as ModelVerifyError).code).toBe('INTERNAL');
    expect(b.liveWorkers).toBe(0);
  });

  it('a file that shrank is MODEL_CHANGED', async () => {
    const b = make({});
    const src = BrowserFileSource.fromPicked([
      { path: 'x/a.bin', file: new File([new Uint8Array(10)], 'a.bin') },
      { path: 'x/b.bin', file: new File([], 'b.bin') },
    ]);
    await expect(b.run([{ id: 'a.bin', path: 'a.bin', start: 0, end: 20, hash: 'sha256' }], src)).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
  });
});
