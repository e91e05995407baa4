// Bundles the CLI into one ESM file so start-up does not resolve hundreds of modules.
import { build } from 'esbuild';

await build({
  // The hash pool's worker_threads script is a second entry, loaded next to the CLI bundle.
  entryPoints: { 'model-verify': 'cli/main.ts', 'hash-worker': 'node/hash-worker.ts' },
  // Another output directory may be given (scripts/build-package.mjs --outdir, the package tests' staging copy).
  outdir: process.argv[2] ?? 'dist/cli',
  outExtension: { '.js': '.mjs' },
  // Dynamic imports stay lazy chunks (start-up cost: only what a command uses is loaded).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
});
