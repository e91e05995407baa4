/**
 * Two builds from one config:
 *  - `vite build`             → the verify app in dist/app (served as static assets by the Cloudflare Worker)
 *  - `vite build --mode lib`  → dist/model-verify.js, the ES module defining <model-verify>, and beside it the
 *                               chunks it imports on use (model-verify-chunk-*.js: X.509, Sigstore) and its hash
 *                               worker, all located via import.meta.url; dist/.vite/manifest.json lists the module
 *                               graph (scripts/check-sizes.mjs measures the initial download from it).
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;

/**
 * The lib build writes into dist/ beside other outputs (emptyOutDir: false), and chunk names carry content
 * hashes: remove the previous build's chunks so that only files this build references are left to ship.
 */
function dropStaleChunks(): Plugin {
  return {
    name: 'model-verify:drop-stale-chunks',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir;
      if (!dir) return;
      for (const f of readdirSync(dir)) {
        if (/^model-verify-chunk-.*\.js(\.map)?$/.test(f) && !(f in bundle)) rmSync(resolve(dir, f));
      }
    },
  };
}

/**
 * dist/app/precache.json: every emitted asset, for the service worker (public/sw.js) to cache at install. The
 * page's HTML names only the entry; chunks imported on use (Sign page, X.509, Sigstore) and the hash worker must
 * be cached too, or the page would not work offline once loaded.
 */
function precacheList(): Plugin {
  return {
    name: 'model-verify:precache-list',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => f.startsWith('assets/') && !f.endsWith('.map'))
        .sort();
      this.emitFile({ type: 'asset', fileName: 'precache.json', source: `${JSON.stringify(files, null, 1)}\n` });
    },
  };
}

/**
 * ONNX Runtime Web for the app's "Verified inference" page, served from the app's own origin (dist/app/ort/): a
 * supply-chain tool does not load executable code from a third-party CDN. Outside assets/, so the offline precache
 * (and its size) leaves the 14 MB wasm out; it is fetched when a run first needs it.
 */
function ortRuntime(): Plugin {
  const dir = resolve(here, 'node_modules/onnxruntime-web/dist');
  return {
    name: 'model-verify:ort-runtime',
    apply: 'build',
    generateBundle() {
      for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
        this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(resolve(dir, f)) });
      }
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      // Relative asset URLs: the worker and chunks are found next to model-verify.js wherever a CDN puts it.
      base: './',
      plugins: [dropStaleChunks()],
      publicDir: false,
      build: {
        outDir: resolve(here, 'dist'),
        emptyOutDir: false,
        target: 'es2022',
        sourcemap: true,
        lib: {
          entry: resolve(here, 'web/element/index.ts'),
          formats: ['es'],
          fileName: () => 'model-verify.js',
        },
        minify: true,
        manifest: true,
        // Code split so that a key-only page downloads no X.509/Sigstore code: dynamic imports become chunks
        // beside the entry (one folder, relative URLs), named with a prefix that keeps them apart from anything
        // else in a CDN folder. 'allow-extension' lets rolldown merge much of what the entry shares with those chunks
        // into the entry; some shared modules still become small chunks the entry imports statically (they count in
        // the "initial" size budget, scripts/check-sizes.mjs). Verification code (X.509, Sigstore, TUF, registries)
        // is fetched only when a verification needs it.
        rolldownOptions: { preserveEntrySignatures: 'allow-extension', output: { chunkFileNames: 'model-verify-chunk-[name]-[hash].js' } },
      },
      worker: {
        format: 'es',
        // A stable name beside the module (no hash), so CDN users and CSP worker-src rules can name it.
        rolldownOptions: { output: { entryFileNames: 'model-verify-[name].js' } },
      },
    };
  }
  return {
    root: resolve(here, 'web/app'),
    plugins: [precacheList(), ortRuntime()],
    base: './',
    publicDir: resolve(here, 'public'),
    build: {
      outDir: resolve(here, 'dist/app'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      // The X.509/Sigstore chunk (pkijs) is large by nature; it loads only when a verification needs it.
      chunkSizeWarningLimit: 1024,
      manifest: true,
    },
    worker: { format: 'es' },
    preview: { host: '127.0.0.1', port: 4174, strictPort: true },
    server: { host: '127.0.0.1', port: 5173 },
  };
});
