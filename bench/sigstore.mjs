// npm run bench:sigstore — median time to verify one Sigstore bundle (crypto only) in Node, Chromium and workerd.
// Each runtime runs the same esbuild bundle of bench/sigstore-entry.ts. Timing uses performance.now() inside the
// runtime; for workerd, whose clocks are coarse inside a request, also from outside (see below).
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'bench/tmp');
mkdirSync(out, { recursive: true });
const runs = Number(process.env.RUNS ?? 50);
const only = process.argv.slice(2);
const want = (r) => only.length === 0 || only.includes(r);

async function bundle(platform, format, file) {
  await build({
    entryPoints: [path.join(root, 'bench/sigstore-entry.ts')],
    outfile: path.join(out, file),
    bundle: true,
    platform,
    format,
    ...(format === 'iife' ? { globalName: 'SigstoreBench' } : {}),
    target: 'es2022',
    loader: { '.sig': 'text' },
    logLevel: 'warning',
  });
  return path.join(out, file);
}

const fmt = (r) => `median ${r.medianMs.toFixed(2)} ms, p90 ${r.p90Ms.toFixed(2)} ms, first ${r.firstMs.toFixed(1)} ms (${r.runs} runs)`;

if (want('node')) {
  const f = await bundle('node', 'esm', 'sigstore-bench.node.mjs');
  const { benchSigstore } = await import(f);
  await benchSigstore(5);
  // CPU time of the whole process (all threads: WebCrypto runs on libuv's pool) per verification: stable on a
  // busy machine, where wall-clock medians mostly measure the scheduler.
  const cpu0 = process.cpuUsage();
  const r = await benchSigstore(runs);
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `node ${process.version}: ${fmt(r)}; CPU ${((cpu.user + cpu.system) / 1000 / (runs + 6)).toFixed(2)} ms/verify; load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
  );
}

if (want('chromium')) {
  const f = await bundle('browser', 'iife', 'sigstore-bench.browser.js');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
    headless: true,
  });
  try {
    const page = await browser.newPage();
    // WebCrypto needs a secure context: serve the page as http://localhost (intercepted, no server).
    const script = readFileSync(f, 'utf8');
    await page.route('http://localhost/**', (route) =>
      route.fulfill(
        route.request().url().endsWith('.js')
          ? { contentType: 'text/javascript', body: script }
          : { contentType: 'text/html', body: '<script src="/bench.js"></script>' },
      ),
    );
    await page.goto('http://localhost/bench.html');
    const r = await page.evaluate((n) => globalThis.SigstoreBench.benchSigstore(n), runs);
    console.log(`chromium ${browser.version()}: ${fmt(r)}`);
  } finally {
    await browser.close();
  }
}

if (want('workerd')) {
  const f = await bundle('neutral', 'esm', 'sigstore-bench.worker.mjs');
  const worker = `${readFileSync(f, 'utf8')}\nexport default { async fetch(req) { const n = Number(new URL(req.url).searchParams.get('runs')); return Response.json(await benchSigstore(n)); } };`;
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({ modules: true, script: worker, compatibilityDate: '2026-04-26' });
  try {
    // workerd coarsens and freezes clocks inside a request (Spectre mitigation), so the in-Worker median is only
    // indicative; the wall time of N extra runs, measured from outside, gives an honest mean.
    const call = async (n) => {
      const t0 = performance.now();
      const r = await (await mf.dispatchFetch(`http://bench/?runs=${n}`)).json();
      return { r, ms: performance.now() - t0 };
    };
    await call(1);
    const base = await call(1);
    const full = await call(runs + 1);
    const meanMs = (full.ms - base.ms) / runs;
    console.log(`workerd (miniflare, compat 2026-04-26): in-Worker ${fmt(full.r)}; outside wall-clock mean ${meanMs.toFixed(2)} ms/verify`);
  } finally {
    await mf.dispose();
  }
}
