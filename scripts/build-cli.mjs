// Bundles the CLI into one ESM file so start-up does not resolve hundreds of modules.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';

// commander loads node:child_process at its top for executable subcommands (`git-style` commands run as separate
// programs), which this CLI has none of; loading it pulls net, dgram and more (~3 ms of every start-up). Its only
// use is `childProcess.spawn(...)`: this hands it a stand-in that loads the module on that call. The build fails if
// commander's code no longer has that shape, rather than shipping a stand-in that no longer fits.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      const line = "const childProcess = require('node:child_process');";
      const uses = src.match(/\bchildProcess\.\w+/g) ?? [];
      if (!src.includes(line) || uses.some((u) => u !== 'childProcess.spawn')) {
        throw new Error(`${args.path}: commander's use of node:child_process changed; update scripts/build-cli.mjs`);
      }
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: src.replace(line, lazy), loader: 'js' };
    });
  },
};

const result = await build({
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
  // Dependencies are bundled too: resolving and loading a few hundred node_modules files was most of start-up
  // (`--version` 0.28 → 0.16 s on the 2-core machine). Left outside: the optional native PKCS#11 binding (loaded
  // only by `sign pkcs11-*`, may be absent) and OpenTelemetry (loaded only when tracing is on; the OTel test checks
  // that nothing of it is resolved otherwise).
  // And the TUF client (tuf-js pulls make-fetch-happen, iconv-lite's tables and more: 1.5 MB bundled for a path
  // only keyless verification takes, loaded on use either way).
  external: ['pkcs11js', 'graphene-pk11', '@opentelemetry/*', 'tuf-js', '@tufjs/*'],
  // ESM builds first (hash-wasm's `main` is a UMD file whose named exports do not survive bundling).
  mainFields: ['module', 'main'],
  // CommonJS dependencies (commander, tuf-js) call require() for Node built-ins: give the ESM bundle one.
  banner: { js: "import { createRequire as __mvCreateRequire } from 'node:module'; const require = __mvCreateRequire(import.meta.url);" },
  plugins: [lazyChildProcess],
  // CLI_METAFILE=FILE: esbuild's metafile (which modules went into which chunk, and their bytes) for start-up work.
  metafile: !!process.env.CLI_METAFILE,
  logLevel: 'warning',
});
if (process.env.CLI_METAFILE) await writeFile(process.env.CLI_METAFILE, JSON.stringify(result.metafile));
