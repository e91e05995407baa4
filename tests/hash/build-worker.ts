/** Builds node/hash-worker.ts the way scripts/build-cli.mjs does, into a temp dir, so tests never use a stale dist/. */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function buildHashWorker(): Promise<URL> {
  // Inside the repo (node_modules/.cache) so the worker's external imports (hash-wasm) resolve at run time.
  const cache = path.resolve('node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'mv-hash-worker-'));
  const outfile = path.join(dir, 'hash-worker.mjs');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await build({
    entryPoints: [path.resolve('node/hash-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return pathToFileURL(outfile);
}
