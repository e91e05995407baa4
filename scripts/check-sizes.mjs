#!/usr/bin/env node
/**
 * Size budgets, checked in `npm test` right after the build (sizes are deterministic for a given lockfile).
 * Reads what `npm run build` wrote; builds nothing itself.
 *
 *   element, key verification   what a page using only <model-verify method="key"> fetches before the element is
 *                               defined and can verify: dist/model-verify.js plus its static imports  ≤ 60 kB gzip
 *   app, initial JS             what dist/app/index.html loads before first render (its entry + static imports)
 *                                                                                                    ≤ 120 kB gzip
 *   npm tarball                 `npm pack --dry-run` of this checkout                                      ≤ 3 MiB
 *
 * The module graph comes from Vite's build manifests (dist/.vite/manifest.json, dist/app/.vite/manifest.json):
 * each chunk lists its static `imports` and its `dynamicImports`, so "initial" is the static closure of the entry,
 * and certificate/Sigstore verification add the static closures of their dynamic entries (reported, not
 * budgeted). Sizes are gzip at level 9 (node:zlib), in kB of 1000 bytes, as Vite reports them. The initial
 * chunks' source maps must not list pkijs, X.509, Sigstore or signing sources: those belong in lazy chunks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1000;
const BUDGETS = {
  elementKey: 60 * KB,
  appInitial: 120 * KB,
  // The package test (tests/package/package.test.ts) holds the packed tarball to the same limit.
  tarball: 3 * 1024 * 1024,
};
/** Sources that must stay out of the element's and the app's initial download. */
const LAZY_ONLY = [
  /node_modules\/pkijs\//,
  /node_modules\/bytestreamjs\//,
  /(^|\/)core\/x509\//,
  /(^|\/)core\/sigstore\//,
  /(^|\/)core\/sign\//,
  /(^|\/)web\/app\/mv-sign\.ts$/,
  /(^|\/)web\/sign-run\.ts$/,
];

class BuildMissing extends Error {}

function readJson(file) {
  if (!existsSync(file)) throw new BuildMissing(`${path.relative(root, file)} is missing: run \`npm run build\` first`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

const gzipCache = new Map();
function gzipBytes(file) {
  let n = gzipCache.get(file);
  if (n === undefined) {
    if (!existsSync(file)) throw new BuildMissing(`${path.relative(root, file)} is missing: run \`npm run build\` first`);
    n = gzipSync(readFileSync(file), { level: 9 }).length;
    gzipCache.set(file, n);
  }
  return n;
}

/** Keys of the manifest chunks statically reachable from `start` (inclusive). */
function staticClosure(manifest, start) {
  const seen = new Set();
  const walk = (key) => {
    if (seen.has(key)) return;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`check-sizes: the build manifest has no chunk '${key}'`);
    seen.add(key);
    for (const k of chunk.imports ?? []) walk(k);
  };
  walk(start);
  return seen;
}

/** Every dynamic import reachable from `keys` through static and dynamic edges, by its manifest key. */
function dynamicEntries(manifest, keys) {
  const out = new Set();
  const walk = (key) => {
    for (const k of staticClosure(manifest, key)) {
      for (const d of manifest[k].dynamicImports ?? []) {
        if (!out.has(d)) {
          out.add(d);
          walk(d);
        }
      }
    }
  };
  for (const k of keys) walk(k);
  return out;
}

const sum = (dir, manifest, keys) => [...keys].reduce((n, k) => n + gzipBytes(path.join(dir, manifest[k].file)), 0);
const files = (manifest, keys) => [...keys].map((k) => manifest[k].file);

/** Sources (from each chunk's .map) that the budget says must be lazy. */
function lazyOnlySources(dir, manifest, keys) {
  const bad = [];
  for (const f of files(manifest, keys)) {
    const map = path.join(dir, `${f}.map`);
    if (!existsSync(map)) continue;
    for (const s of JSON.parse(readFileSync(map, 'utf8')).sources ?? []) if (LAZY_ONLY.some((re) => re.test(s))) bad.push(`${f}: ${s}`);
  }
  return bad;
}

const rows = [];
const problems = [];
function row(what, bytes, budget, detail) {
  rows.push({ what, bytes, budget, detail });
  if (budget !== undefined && bytes > budget) problems.push(`${what}: ${fmt(bytes)} is over its budget of ${fmt(budget)}`);
}
const fmt = (n) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(2)} MiB` : `${(n / KB).toFixed(1)} kB`);

try {
  // ── the element (CDN build, dist/)
  const libDir = path.join(root, 'dist');
  const lib = readJson(path.join(libDir, '.vite/manifest.json'));
  const entryKey = Object.keys(lib).find((k) => lib[k].isEntry && lib[k].file === 'model-verify.js');
  if (!entryKey) throw new Error('check-sizes: dist/.vite/manifest.json has no entry for model-verify.js');
  const initial = staticClosure(lib, entryKey);
  const initialBytes = sum(libDir, lib, initial);
  row('element: key verification (initial)', initialBytes, BUDGETS.elementKey, files(lib, initial).join(' + '));
  const lazyOf = (src) => {
    const key = Object.keys(lib).find((k) => lib[k].src === src && lib[k].isDynamicEntry);
    if (!key) throw new Error(`check-sizes: ${src} is not a lazily loaded chunk of the element`);
    return [...staticClosure(lib, key)].filter((k) => !initial.has(k));
  };
  for (const [what, src] of [
    ['element: + certificate verification (lazy)', 'core/verify/certificate.ts'],
    ['element: + Sigstore verification (lazy)', 'core/sigstore/index.ts'],
    ['element: + hashing on the page (no workers; lazy)', 'browser/hash-job.ts'],
  ]) {
    const lazy = lazyOf(src);
    const bytes = sum(libDir, lib, lazy);
    row(what, bytes, undefined, `${files(lib, lazy).join(' + ')} → ${fmt(initialBytes + bytes)} in all`);
  }
  row('element: hash worker (when workers run)', gzipBytes(path.join(libDir, 'model-verify-hash-worker.js')), undefined, 'model-verify-hash-worker.js');
  const everything = new Set([...initial, ...[...dynamicEntries(lib, [entryKey])].flatMap((k) => [...staticClosure(lib, k)])]);
  row('element: every chunk', sum(libDir, lib, everything), undefined, `${everything.size} files`);
  for (const s of lazyOnlySources(libDir, lib, initial)) problems.push(`element initial download includes lazy-only source ${s}`);

  // ── the app (dist/app)
  const appDir = path.join(root, 'dist/app');
  const app = readJson(path.join(appDir, '.vite/manifest.json'));
  const html = readFileSync(path.join(appDir, 'index.html'), 'utf8');
  const appEntries = Object.keys(app).filter((k) => app[k].isEntry);
  for (const k of appEntries) {
    if (!html.includes(app[k].file)) throw new Error(`check-sizes: dist/app/index.html does not load ${app[k].file} (stale manifest?)`);
  }
  const appInitial = new Set(appEntries.flatMap((k) => [...staticClosure(app, k)]));
  row('app: initial JS', sum(appDir, app, appInitial), BUDGETS.appInitial, files(app, appInitial).join(' + '));
  const appAll = new Set([...appInitial, ...[...dynamicEntries(app, appEntries)].flatMap((k) => [...staticClosure(app, k)])]);
  row('app: every chunk', sum(appDir, app, appAll), undefined, `${appAll.size} files`);
  for (const s of lazyOnlySources(appDir, app, appInitial)) problems.push(`app initial JS includes lazy-only source ${s}`);

  // ── the npm tarball (what `npm pack` would write from this checkout's build; no scripts run)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel', 'error'], { cwd: root, encoding: 'utf8' });
  const info = JSON.parse(out.slice(out.indexOf('[')))[0];
  row('npm tarball (packed)', info.size, BUDGETS.tarball, `${info.entryCount} files, ${fmt(info.unpackedSize)} unpacked`);
} catch (e) {
  console.error(`check-sizes: ${e instanceof BuildMissing ? e.message : (e?.stack ?? e)}`);
  process.exit(1);
}

const w = Math.max(...rows.map((r) => r.what.length));
console.log(`sizes (gzip -9; kB = 1000 bytes):`);
for (const r of rows) {
  const budget = r.budget === undefined ? '' : `${r.bytes > r.budget ? 'OVER' : 'ok  '} ≤ ${fmt(r.budget)}`;
  console.log(`  ${r.what.padEnd(w)}  ${fmt(r.bytes).padStart(9)}  ${budget.padEnd(16)}  ${r.detail}`);
}
if (problems.length) {
  console.error(`\ncheck-sizes: ${problems.length} budget problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
