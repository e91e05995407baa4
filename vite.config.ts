/**
 * Two builds from one config:
 *  - `vite build`             → the verify app in dist/app (served as static assets by the Cloudflare Worker)
 *  - `vite build --mode lib`  → dist/model-verify.js, one ES module defining <model-verify>; worker/wasm
 *                               assets it needs are emitted beside it and located via import.meta.url.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

export default defineConfig(({ mode }) => {
  if (mode === 'lib') {
    return {
      // Relative asset URLs: the worker is found next to model-verify.js wherever a CDN puts it.
      base: './',
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
        // One file for the CDN: no chunks to resolve (workers and wasm still go beside it as assets).
        rolldownOptions: { output: { codeSplitting: false } },
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
    base: './',
    publicDir: resolve(here, 'public'),
    build: {
      outDir: resolve(here, 'dist/app'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      // pkijs/asn1js dominate the size; the page is one screen, so one chunk is simplest.
      chunkSizeWarningLimit: 1024,
    },
    worker: { format: 'es' },
    preview: { host: '127.0.0.1', port: 4174, strictPort: true },
    server: { host: '127.0.0.1', port: 5173 },
  };
});
