// Bundles the CLI (one chunk every command loads, lazy chunks for the rest) and its hash worker, so start-up does
// not resolve hundreds of modules.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

// One chunk for what every command loads. esbuild puts each module in the chunk of the set of entries (the CLI and
// every dynamic import's target) that reach it, so a module shared by some lazy targets but not others
// lands in a chunk of its own: `verify key` loaded 31 files, at ~0.5 ms each on the 2-core machine on top of their
// compile. Here the CLI entry and each dynamic import of our own sources also import BASE (cli/main.ts, which
// imports what verify runs), so every module BASE reaches has the same set of entries and shares one chunk.
// Only where code lives changes: lazy targets stay separate chunks, loaded (and evaluated) on use, as before.
// (The hash worker is a build of its own, below.)
const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const BASE = path.join(ROOT, 'cli/main.ts');
const ownSource = (p) => p.startsWith(ROOT + path.sep) && !p.includes(`${path.sep}node_modules${path.sep}`);
const oneBaseChunk = {
  name: 'one-base-chunk',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.namespace !== 'file') return undefined;
      const r = await b.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer });
      if (r.errors.length || r.external || !ownSource(r.path)) return undefined;
      return { path: r.path, namespace: 'mv-lazy' };
    });
    b.onResolve({ filter: /^mv:(base|entry)$/ }, (args) => ({ path: args.path, namespace: 'mv-base' }));
    // BASE is imported for its own sake, wherever from (package.json's sideEffects would drop that import).
    b.onResolve({ filter: /(^|[\\/])main(\.[jt]s)?$/ }, async (args) => {
      if (args.pluginData === 'mv-inner' || args.kind === 'dynamic-import') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'mv-inner' });
      return r.path === BASE && !r.errors.length ? { path: r.path, sideEffects: true } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'mv-base' }, (args) => ({
      contents: args.path === 'mv:base' ? `import ${JSON.stringify(BASE)};` : `import 'mv:base';\nexport * from ${JSON.stringify(BASE)};`,
      resolveDir: ROOT,
      loader: 'js',
    }));
    // A lazy target: the module itself (`export *`: none of our modules has a default export, checked here) and BASE.
    b.onLoad({ filter: /.*/, namespace: 'mv-lazy' }, async (args) => {
      if (/^export\s+default\b|^export\s*\{[^}]*\bdefault\b/m.test(await readFile(args.path, 'utf8'))) {
        throw new Error(`${args.path}: a default export would be lost by scripts/build-cli.mjs's lazy wrapper`);
      }
      return { contents: `import 'mv:base';\nexport * from ${JSON.stringify(args.path)};`, resolveDir: path.dirname(args.path), loader: 'js' };
    });
  },
};

// Built-in modules from process.getBuiltinModule (Node >= 20.16; package.json's engines asks 20.19) instead of
// `import … from 'node:fs'`. An ESM import of a built-in makes Node build an ESM facade module for it, which reads
// every export once (for node:fs, the lazy `ReadStream` getter: its file streams): ~7 ms of main-thread CPU of a
// one-file `verify key` in profiles, for the facades of the seven built-ins it imported. Each export is read on
// its own, in a /* @__PURE__ */ call that esbuild drops when nothing imports that name, so only the names used are
// read. A name this Node does not have fails the build (no matching export), as the import would fail to link.
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const builtinsByProcess = {
  name: 'builtins-by-process',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
      if (args.kind !== 'import-statement') return undefined;
      const name = args.path.replace(/^node:/, '');
      return BUILTINS.has(name) ? { path: `node:${name}`, namespace: 'mv-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'mv-builtin' }, (args) => {
      const names = Object.keys(createRequire(import.meta.url)(args.path)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
      const lines = [`const m = process.getBuiltinModule(${JSON.stringify(args.path)});`, 'export default m;'];
      for (const k of names) lines.push(`export const ${k} = /* @__PURE__ */ (() => m.${k})();`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

const common = {
  // Another output directory may be given (scripts/build-package.mjs --outdir, the package tests' staging copy).
  outdir: process.argv[2] ?? 'dist/cli',
  outExtension: { '.js': '.mjs' },
  // Dynamic imports stay lazy chunks (start-up cost: only what a command uses is loaded).
  splitting: true,
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
  // (From process.getBuiltinModule too: no file of the bundle imports a built-in as an ES module; see builtinsByProcess.)
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  // CLI_METAFILE=FILE writes esbuild's metafiles (which modules went into which chunk, and their bytes).
  metafile: !!process.env.CLI_METAFILE,
  logLevel: 'warning',
};
// The hash pool's worker_threads script is built on its own, next to the CLI bundle: a worker is a realm of its
// own (no module is ever shared with the main thread), so sharing chunks with it only split the CLI's files
// (node/walk.ts and esbuild's helpers were two more files of every start-up). Its chunks: chunks/worker-*.
const results = await Promise.all([
  build({
    ...common,
    entryPoints: { 'model-verify': 'mv:entry' },
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [lazyChildProcess, builtinsByProcess, oneBaseChunk],
  }),
  build({ ...common, entryPoints: { 'hash-worker': 'node/hash-worker.ts' }, chunkNames: 'chunks/worker-[name]-[hash]', plugins: [builtinsByProcess] }),
]);
if (process.env.CLI_METAFILE) {
  const merged = { inputs: {}, outputs: {} };
  for (const r of results) Object.assign(merged.inputs, r.metafile.inputs), Object.assign(merged.outputs, r.metafile.outputs);
  await writeFile(process.env.CLI_METAFILE, JSON.stringify(merged));
}
