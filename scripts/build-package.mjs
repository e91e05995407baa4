#!/usr/bin/env node
/**
 * Builds what the npm package ships (package.json `files`), from sources, in one go:
 *   <out>/cli/            the bundled CLI behind `bin: model-verify` (scripts/build-cli.mjs)
 *   <out>/pkg/            the `exports` entries: tsc's JS + .d.ts (tsconfig.build.json), layout mirrored
 *                         (pkg/core/index.js, pkg/node/index.js, …), the workerd wasm copied beside its importer
 *   <out>/model-verify.js the element for CDNs: an ES module with no static imports, and beside it the chunks it
 *                         imports on use (model-verify-chunk-*.js) and its hash worker (`vite build --mode lib`)
 * `--outdir DIR` (default: dist) builds elsewhere: the package tests build a staging copy without touching the
 * dist/ that other suites read while they run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const out = path.resolve(at >= 0 ? args[at + 1] : path.join(root, 'dist'));
const pkgOut = path.join(out, 'pkg');
const started = Date.now();

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-package: ${path.basename(cmd)} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function jsFiles(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

// 1. The CLI bundle (into a clean directory: esbuild's hashed chunk names would pile up across builds).
rmSync(path.join(out, 'cli'), { recursive: true, force: true });
run(process.execPath, [path.join(root, 'scripts/build-cli.mjs'), path.join(out, 'cli')]);

// 2. The library entries: JS and declarations from tsc (a clean directory, so no stale module is shipped).
rmSync(pkgOut, { recursive: true, force: true });
run(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', pkgOut]);

// The browser pool names its worker by the source file (what Vite and vitest resolve in this repo); the emitted
// module must name the emitted worker, still as a literal `new URL('…', import.meta.url)` so that a consumer's
// bundler (Vite, webpack 5, esbuild with plugins) recognises it and emits the worker as its own chunk.
const pool = path.join(pkgOut, 'browser/hash-pool.js');
const WORKER_REF = "new URL('./hash-worker.ts', import.meta.url)";
const poolJs = readFileSync(pool, 'utf8');
if (!poolJs.includes(WORKER_REF)) throw new Error(`build-package: ${WORKER_REF} not found in browser/hash-pool.js (was the worker renamed?)`);
writeFileSync(pool, poolJs.replaceAll(WORKER_REF, "new URL('./hash-worker.js', import.meta.url)"));

// Nothing emitted may still point at a TypeScript source: it would resolve in this repo and nowhere else.
const strays = jsFiles(pkgOut).filter((f) => /(['"])\.{1,2}\/[^'"]*\.ts\1/.test(readFileSync(f, 'utf8')));
if (strays.length) throw new Error(`build-package: emitted JS still names .ts files: ${strays.map((f) => path.relative(out, f)).join(', ')}`);

// workers-types has no `exports` map, and a consumer resolving with NodeNext cannot import a directory
// (`@cloudflare/workers-types/latest`): name its module file, which resolves under every moduleResolution.
for (const f of readdirSync(pkgOut, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.d.ts'))) {
  const file = path.join(pkgOut, f);
  const text = readFileSync(file, 'utf8');
  if (text.includes("'@cloudflare/workers-types/latest'"))
    writeFileSync(file, text.replaceAll("'@cloudflare/workers-types/latest'", "'@cloudflare/workers-types/latest/index.js'"));
}

// The workerd hashers import their wasm statically (workerd refuses runtime compilation): ship it beside them.
const wasmIn = path.join(root, 'workerd/wasm');
const wasmOut = path.join(pkgOut, 'workerd/wasm');
mkdirSync(wasmOut, { recursive: true });
for (const n of readdirSync(wasmIn)) if (n.endsWith('.wasm')) copyFileSync(path.join(wasmIn, n), path.join(wasmOut, n));

// 3. The element for CDNs: its module, lazily imported chunks and hash worker (vite.config.ts, mode lib).
const { build } = await import('vite');
await build({ root, configFile: path.join(root, 'vite.config.ts'), mode: 'lib', logLevel: 'warn', build: { outDir: out } });

console.log(`build-package: ${path.relative(root, out) || '.'}/{cli,pkg,model-verify.js} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
