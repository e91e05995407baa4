// Extracts hash-wasm's embedded WebAssembly binaries into workerd/wasm/*.wasm at build time.
// workerd forbids runtime compilation (WebAssembly.compile/new Module on bytes), so Workers must import
// precompiled modules; hash-wasm ships its wasm only as base64 inside dist/index.esm.js.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const pkgDir = path.dirname(require.resolve('hash-wasm/package.json'));
const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
const source = readFileSync(path.join(pkgDir, 'dist', 'index.esm.js'), 'utf8');

const WANTED = ['sha256', 'blake2b', 'blake3'];
// An output directory may be given (the tests compare a fresh extraction with the committed files).
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'workerd', 'wasm'));
mkdirSync(outDir, { recursive: true });

// Each algorithm is emitted as `var name$X = "<alg>";` followed by `var data$X = "<base64>";`.
const names = new Map();
for (const m of source.matchAll(/var name(\$\w+)? = "([\w-]+)";/g)) names.set(m[2], m[1] ?? '');
const manifest = { 'hash-wasm': version, files: {} };
for (const alg of WANTED) {
  if (!names.has(alg)) throw new Error(`hash-wasm ${version}: no embedded wasm named '${alg}'`);
  const suffix = names.get(alg).replace('$', '\\$');
  const m = source.match(new RegExp(`var data${suffix} = "([A-Za-z0-9+/=]+)";`));
  if (!m) throw new Error(`hash-wasm ${version}: no data for '${alg}'`);
  const bytes = Buffer.from(m[1], 'base64');
  if (!WebAssembly.validate(bytes)) throw new Error(`hash-wasm ${version}: '${alg}' is not valid wasm`);
  writeFileSync(path.join(outDir, `${alg}.wasm`), bytes);
  manifest.files[`${alg}.wasm`] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
writeFileSync(path.join(outDir, 'wasm-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
