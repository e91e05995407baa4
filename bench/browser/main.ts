/**
 * Chromium half of `npm run bench`: BrowserHashPool over Files picked from disk (Playwright setInputFiles), and
 * hash-wasm's raw single-thread SHA-256 speed on the page for comparison. Called as `window.hashBench(...)`.
 */
import { createSHA256 } from 'hash-wasm';
import type { HashJob } from '../../core/serialize/plan.js';
import { toHex } from '../../core/util/bytes.js';
import { BrowserFileSource } from '../../browser/file-source.js';
import { BrowserHashPool } from '../../browser/hash-pool.js';

interface CaseResult {
  name: string;
  bytes: number;
  ms: number[];
  digests: Record<string, string>;
  /** Page JS heap (performance.memory) during the run: baseline and peak, bytes. */
  heapBase?: number;
  heapPeak?: number;
  workers: number;
}

const heap = () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;

async function timeBackend(name: string, files: File[], reps: number): Promise<CaseResult> {
  const src = BrowserFileSource.fromPicked(files.map((f) => ({ path: `m/${f.name}`, file: f })));
  const jobs: HashJob[] = files.map((f) => ({ id: f.name, path: f.name, start: 0, end: f.size, hash: 'sha256' }));
  const r: CaseResult = { name, bytes: files.reduce((n, f) => n + f.size, 0), ms: [], digests: {}, workers: 0 };
  for (let i = 0; i < reps; i++) {
    // A fresh backend each time: worker start-up is part of what a user waits for.
    const b = new BrowserHashPool();
    const base = heap();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, heap())), 50);
    const t0 = performance.now();
    const got = await b.run(jobs, src);
    r.ms.push(performance.now() - t0);
    clearInterval(sampler);
    r.heapBase = base;
    r.heapPeak = Math.max(r.heapPeak ?? 0, peak, heap());
    r.workers = b.liveWorkers;
    b.close();
    for (const [k, v] of got) r.digests[k] = toHex(v);
  }
  return r;
}

/** hash-wasm SHA-256 on the page over an in-memory buffer in 8 MiB pieces (toolchain.md §4's method). */
let rawData: Uint8Array | undefined;
function prepareRaw(mb: number): void {
  rawData = new Uint8Array(mb << 20);
  for (let i = 0; i < rawData.length; i += 65536) crypto.getRandomValues(rawData.subarray(i, i + 65536));
}

async function rawHashWasm(mb: number, reps: number): Promise<CaseResult> {
  if (rawData?.length !== mb << 20) prepareRaw(mb);
  const data = rawData!;
  const h = await createSHA256();
  const r: CaseResult = { name: `hash-wasm raw, page thread, ${mb} MiB in memory`, bytes: data.length, ms: [], digests: {}, workers: 0 };
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    h.init();
    for (let o = 0; o < data.length; o += 8 << 20) h.update(data.subarray(o, o + (8 << 20)));
    r.digests.raw = h.digest('hex');
    r.ms.push(performance.now() - t0);
  }
  return r;
}

declare global {
  interface Window {
    hashBench(o: {
      only: 'multi' | 'big' | 'raw' | 'prepare';
      smallNames: string[];
      bigName: string;
      reps: number;
      rawMb: number;
    }): Promise<{ cases: CaseResult[]; hardwareConcurrency: number; userAgent: string }>;
  }
}

window.hashBench = async (o) => {
  const all = [...(document.getElementById('files') as HTMLInputElement).files!];
  const small = all.filter((f) => o.smallNames.includes(f.name));
  const big = all.filter((f) => f.name === o.bigName);
  if (o.only === 'prepare') {
    prepareRaw(o.rawMb); // outside the measured CPU of the raw case
    return { cases: [], hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
  }
  const cases =
    o.only === 'multi'
      ? [await timeBackend(`BrowserHashPool, ${small.length} Files`, small, o.reps)]
      : o.only === 'big'
        ? [await timeBackend('BrowserHashPool, one big File', big, o.reps)]
        : [await rawHashWasm(o.rawMb, o.reps)];
  return { cases, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
};
