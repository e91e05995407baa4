// Layout rules (README "Design"), checked in `npm test`:
//   core/                  imports only core/ (and packages)
//   node/ browser/ workerd/  adapters: core/ and their own folder only
//   cli/ web/ worker/      shells: core/, their own folder and their adapter (cli→node, web→browser, worker→workerd)
//   outside core, core is entered only through its index files (core/index.ts, core/<folder>/index.ts)
// esbuild resolves every import (its metafile lists each module's resolved imports), so relative paths,
// re-exports and dynamic imports are all seen; type-only imports are erased by esbuild, so they are read from
// the source text as well.
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const FOLDERS = ['core', 'node', 'browser', 'workerd', 'cli', 'web', 'worker'];
const ALLOWED = {
  core: ['core'],
  node: ['node', 'core'],
  browser: ['browser', 'core'],
  workerd: ['workerd', 'core'],
  cli: ['cli', 'core', 'node'],
  web: ['web', 'core', 'browser'],
  worker: ['worker', 'core', 'workerd'],
};

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.posix.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const folderOf = (p) => FOLDERS.find((f) => p === f || p.startsWith(`${f}/`));
// core/errors.ts counts as an entry too: the error type every shell needs, a leaf with no imports. Shells import it
// directly where core/index.ts would load all of core (the CLI's start-up: esbuild keeps the barrel's modules).
const isCoreIndex = (p) => /^core\/(?:[^/]+\/)*index\.ts$/.test(p) || p === 'core/errors.ts';

const entryPoints = FOLDERS.flatMap((f) => sources(f));
const { metafile } = await build({
  entryPoints,
  bundle: true,
  write: false,
  metafile: true,
  outdir: '.tmp/boundaries',
  format: 'esm',
  platform: 'neutral',
  packages: 'external',
  splitting: true,
  loader: { '.wasm': 'empty', '.css': 'empty' },
  logLevel: 'silent',
});

const edges = new Set();
for (const [from, input] of Object.entries(metafile.inputs)) {
  for (const imp of input.imports) if (!imp.external) edges.add(`${from}\0${imp.path}`);
}
// Type-only imports (erased before esbuild records them).
const TYPE_IMPORT = /\b(?:import|export)\s+type\s+[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g;
for (const f of entryPoints) {
  for (const m of readFileSync(f, 'utf8').matchAll(TYPE_IMPORT)) {
    let to = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
    if (to.endsWith('.js')) to = `${to.slice(0, -3)}.ts`;
    edges.add(`${f}\0${to}`);
  }
}

const problems = [];
for (const e of edges) {
  const [from, to] = e.split('\0');
  const a = folderOf(from);
  const b = folderOf(to);
  if (!a || !b) continue;
  if (!ALLOWED[a].includes(b)) problems.push(`${from} → ${to}: ${a}/ may not import ${b}/`);
  else if (a !== 'core' && b === 'core' && !isCoreIndex(to)) problems.push(`${from} → ${to}: enter core through an index file`);
}
if (problems.length) {
  console.error(`boundaries: ${problems.length} import(s) break the layout rules:\n  ${problems.sort().join('\n  ')}`);
  process.exit(1);
}
console.log(`boundaries: ${edges.size} imports across ${entryPoints.length} modules follow the layout rules`);
