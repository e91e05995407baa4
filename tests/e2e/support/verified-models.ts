/**
 * For the verified-loading specs (tests/e2e/verified-*.spec.ts): signed models written where the static server
 * serves them (/verified-models/), and browser bundles of our sources built with esbuild into /e2e-build/.
 * Models are signed here, in Node, with a fresh key and the product's own signer.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { generateSigningKey } from '../../../core/sign/generate.js';
import { signModel } from '../../../core/sign/sign-model.js';
import { keySigner } from '../../../core/sign/signers.js';
import { MemorySource } from '../../../core/sources/memory-source.js';

const root = resolve(import.meta.dirname, '../../..');
export const MODELS_DIR = join(root, 'test-results/verified-models');
export const BUILD_DIR = join(root, 'test-results/e2e-build');

export interface SignedModel {
  bundle: string;
  policy: { method: 'key'; publicKey: string };
}

/** Signs `files` as one model and writes them (and `tampered` copies, same signature) under /verified-models/<dir>/. */
export async function writeSignedModel(
  dir: string,
  files: Record<string, Uint8Array>,
  opts: { tamperedDir?: string; tamper?: string[]; shardSize?: number; unsigned?: Record<string, Uint8Array> } = {},
): Promise<SignedModel> {
  const g = await generateSigningKey('P-256');
  const res = await signModel(new MemorySource(dir, files), keySigner(g.signingKey), opts.shardSize ? { shardSize: opts.shardSize } : {});
  const put = (d: string, all: Record<string, Uint8Array>) => {
    rmSync(join(MODELS_DIR, d), { recursive: true, force: true });
    for (const [name, bytes] of Object.entries(all)) {
      const f = join(MODELS_DIR, d, name);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, bytes);
    }
  };
  put(dir, { ...files, ...opts.unsigned });
  if (opts.tamperedDir) {
    const bad: Record<string, Uint8Array> = {};
    for (const [name, bytes] of Object.entries(files)) {
      const b = Uint8Array.from(bytes);
      if (opts.tamper?.includes(name)) b[Math.floor(b.length / 2)]! ^= 1;
      bad[name] = b;
    }
    put(opts.tamperedDir, bad);
  }
  return { bundle: new TextDecoder().decode(res.bundle), policy: { method: 'key', publicKey: g.publicKeyPem } };
}

/** Bundles an ES module for the browser from source text (imports resolve from the repository root). */
export async function bundle(name: string, contents: string): Promise<void> {
  mkdirSync(BUILD_DIR, { recursive: true });
  await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `${name}.entry.ts` },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(BUILD_DIR, name),
    logLevel: 'warning',
    loader: { '.wasm': 'file' },
  });
}

export const random = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
