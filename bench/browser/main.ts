/**
 * Chromium half of `npm run bench`: BrowserHashPool over Files picked from disk (Playwright setInputFiles), the
 * real `<model-verify>` element verifying a signed model from the same Files (the app's path: verifyModel →
 * SerialBackend → BrowserHashPool, with its progress rendering), and the floors: hash-wasm's raw single-thread
 * SHA-256 and WebCrypto's one-shot digest over memory, and the File reads alone (no hashing). Called as
 * `window.hashBench(...)`, one case and one repetition per call, so that the bench can interleave them.
 */
import { createSHA256 } from 'hash-wasm';
import type { HashJob } from '../../core/serialize/plan.js';
import { toHex } from '../../core/util/bytes.js';
import { BrowserFileSource } from '../../browser/file-source.js';
import { BrowserHashPool } from '../../browser/hash-pool.js';
import { defineModelVerify } from '../../web/element/define.js';
import type { ModelVerifyElement } from '../../web/element/model-verify.js';

interface CaseResult {
  name: string;
  bytes: number;
  ms: number;
  digests: Record<string, string>;
  /** Page JS heap (performance.memory) during the run: before and peak, bytes. */
  heapBase?: number;
  heapPeak?: number;
  workers: number;
  /** Progress callbacks the run made (the progress-on cases), and the time spent in them on the page. */
  progressCalls?: number;
  progressMs?: number;
}

defineModelVerify();

const heap = () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;

/** Samples the page heap every 50 ms around `f`. */
/** A case's result from a sampled run over `files`. */
function caseResult(
  name: string,
  files: File[],
  r: { ms: number; heapBase: number; heapPeak: number },
  digests: Record<string, string>,
  workers: number,
  extra: Partial<CaseResult> = {},
): CaseResult {
  return { name, bytes: files.reduce((n, f) => n + f.size, 0), ms: r.ms, digests, heapBase: r.heapBase, heapPeak: r.heapPeak, workers, ...extra };
}

async function sampled<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; heapBase: number; heapPeak: number }> {
  const heapBase = heap();
  let heapPeak = heapBase;
  const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, heap())), 50);
  const t0 = performance.now();
  try {
    const value = await f();
    const ms = performance.now() - t0;
    return { value, ms, heapBase, heapPeak: Math.max(heapPeak, heap()) };
  } finally {
    clearInterval(sampler);
  }
}

/** What a progress bar costs: the element's handler (a percentage, an event) plus text on the page, timed. */
function progressSink(): { onProgress: (p: { bytesDone: number; bytesTotal: number }) => void; calls: () => number; ms: () => number } {
  const out = document.getElementById('progress')!;
  let calls = 0;
  let ms = 0;
  return {
    onProgress: (p) => {
      const t0 = performance.now();
      calls++;
      const percent = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
      out.dispatchEvent(new CustomEvent('verify-progress', { detail: { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal } }));
      out.textContent = `${percent} %`;
      ms += performance.now() - t0;
    },
    calls: () => calls,
    ms: () => ms,
  };
}

async function timePool(name: string, files: File[], progress: boolean): Promise<CaseResult> {
  const src = BrowserFileSource.fromPicked(files.map((f) => ({ path: `m/${f.name}`, file: f })));
  const jobs: HashJob[] = files.map((f) => ({ id: f.name, path: f.name, start: 0, end: f.size, hash: 'sha256' }));
  // A fresh pool each time: worker start-up is part of what a user waits for.
  const b = new BrowserHashPool();
  const sink = progress ? progressSink() : undefined;
  try {
    const r = await sampled(() => b.run(jobs, src, sink ? { onProgress: sink.onProgress } : {}));
    const digests: Record<string, string> = {};
    for (const [k, v] of r.value) digests[k] = toHex(v);
    return caseResult(name, files, r, digests, b.liveWorkers, sink ? { progressCalls: sink.calls(), progressMs: sink.ms() } : {});
  } finally {
    b.close();
  }
}

/**
 * The product as a page embeds it: `<model-verify method="key">` over the Files (its `files` property), the
 * signature and public key fetched from the bench's server. The element shares one pool per page (as the app
 * does), so worker start-up is paid by the first repetition only.
 */
async function timeElement(name: string, files: File[], signature: string, publicKey: string): Promise<CaseResult> {
  const el = document.createElement('model-verify') as ModelVerifyElement;
  el.setAttribute('method', 'key');
  el.setAttribute('public-key', publicKey);
  el.setAttribute('signature', signature);
  el.files = files;
  document.body.append(el);
  let calls = 0;
  el.addEventListener('verify-progress', () => calls++);
  try {
    const r = await sampled(() => el.verify());
    if (!r.value.verified) throw new Error(`the element did not verify the model: ${JSON.stringify(r.value.errors).slice(0, 500)}`);
    const digests: Record<string, string> = {};
    for (const res of r.value.resources) if (res.actual) digests[res.name === '.' ? files[0]!.name : res.name] = res.actual;
    return caseResult(name, files, r, digests, navigator.hardwareConcurrency, { progressCalls: calls });
  } finally {
    el.remove();
  }
}

/** The File reads alone, as the pool's workers do them (a BYOB reader into one buffer), no hashing: the floor. */
async function timeReads(name: string, files: File[], oneShot: boolean): Promise<CaseResult> {
  const lanes = Math.min(files.length, navigator.hardwareConcurrency || 2);
  const workers = Array.from({ length: lanes }, () => new Worker(new URL('./read-worker.ts', import.meta.url), { type: 'module' }));
  const ask = (w: Worker, m: unknown) =>
    new Promise<number>((res, rej) => {
      w.onmessage = (e) => (typeof e.data === 'number' ? res(e.data) : rej(new Error(String(e.data))));
      w.postMessage(m);
    });
  try {
    await Promise.all(workers.map((w) => ask(w, null))); // started outside the timing
    let next = 0;
    let bytes = 0;
    const t0 = performance.now();
    await Promise.all(
      workers.map(async (w) => {
        while (next < files.length) {
          const f = files[next++]!;
          bytes += await ask(w, { blob: f, piece: oneShot ? f.size : 1 << 20 });
        }
      }),
    );
    return { name, bytes, ms: performance.now() - t0, digests: {}, workers: lanes };
  } finally {
    for (const w of workers) w.terminate();
  }
}

/**
 * hash-wasm SHA-256 on the page over an in-memory buffer in 8 MiB pieces (toolchain.md §4's method), or in
 * 1 MiB pieces (the pool's read size, cache-friendlier): the bench takes the faster as the reference.
 */
let rawData: Uint8Array<ArrayBuffer> | undefined;
function prepareRaw(mb: number): void {
  rawData = new Uint8Array(mb << 20);
  for (let i = 0; i < rawData.length; i += 65536) crypto.getRandomValues(rawData.subarray(i, i + 65536));
}

let rawHasher: Awaited<ReturnType<typeof createSHA256>> | undefined;
async function rawHashWasm(mb: number, piece: number): Promise<CaseResult> {
  if (rawData?.length !== mb << 20) prepareRaw(mb);
  const data = rawData!;
  rawHasher ??= await createSHA256();
  const h = rawHasher;
  const t0 = performance.now();
  h.init();
  for (let o = 0; o < data.length; o += piece) h.update(data.subarray(o, o + piece));
  const raw = h.digest('hex');
  return {
    name: `hash-wasm raw, page thread, ${mb} MiB in memory, ${piece >> 20} MiB pieces`,
    bytes: data.length,
    ms: performance.now() - t0,
    digests: { raw },
    workers: 0,
  };
}

/** WebCrypto's one-shot SHA-256 over the same in-memory buffer (what a one-shot job pays after its read). */
async function rawWebCrypto(mb: number): Promise<CaseResult> {
  if (rawData?.length !== mb << 20) prepareRaw(mb);
  const data = rawData!;
  const t0 = performance.now();
  const raw = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
  return { name: `WebCrypto SHA-256 one-shot, ${mb} MiB in memory`, bytes: data.length, ms: performance.now() - t0, digests: { raw }, workers: 0 };
}

export type BenchCase = 'multi' | 'big' | 'element-multi' | 'element-big' | 'read-multi' | 'read-big' | 'raw' | 'raw-1m' | 'webcrypto' | 'prepare';

declare global {
  interface Window {
    hashBench(o: {
      only: BenchCase;
      smallNames: string[];
      bigName: string;
      rawMb: number;
      /** Progress reporting on (the element's handler) or off, for the pool cases. */
      progress?: boolean;
      /** Element cases: URLs of the signature and the public key. */
      signature?: string;
      publicKey?: string;
    }): Promise<{ cases: CaseResult[]; hardwareConcurrency: number; userAgent: string }>;
  }
}

window.hashBench = async (o) => {
  const all = [...(document.getElementById('files') as HTMLInputElement).files!];
  const small = all.filter((f) => o.smallNames.includes(f.name));
  const big = all.filter((f) => f.name === o.bigName);
  const info = { hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
  if (o.only === 'prepare') {
    prepareRaw(o.rawMb); // outside the measured CPU of the raw cases
    return { cases: [], ...info };
  }
  const p = !!o.progress;
  const run: Record<Exclude<BenchCase, 'prepare'>, () => Promise<CaseResult>> = {
    multi: () => timePool(`BrowserHashPool, ${small.length} Files${p ? ', progress on' : ''}`, small, p),
    big: () => timePool(`BrowserHashPool, one big File${p ? ', progress on' : ''}`, big, p),
    'element-multi': () => timeElement(`<model-verify>, ${small.length} Files`, small, o.signature!, o.publicKey!),
    'element-big': () => timeElement('<model-verify>, one big File', big, o.signature!, o.publicKey!),
    'read-multi': () => timeReads(`File reads only, ${small.length} Files, whole-file buffers`, small, true),
    'read-big': () => timeReads('File reads only, one big File, 1 MiB pieces', big, false),
    raw: () => rawHashWasm(o.rawMb, 8 << 20),
    'raw-1m': () => rawHashWasm(o.rawMb, 1 << 20),
    webcrypto: () => rawWebCrypto(o.rawMb),
  };
  return { cases: [await run[o.only]()], ...info };
};
