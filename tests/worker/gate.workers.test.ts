/** The download gate in workerd: byte identity, HEAD, Range, shards, tampering, unsigned paths, policy failure. */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, keySigner, signModel, type GeneratedKey } from '../../core/sign/index.js';
import type { HashAlgorithm } from '../../core/manifest/types.js';
import { toHex, utf8Encode } from '../../core/util/bytes.js';
import { registerWorkerdHashers } from '../../workerd/hashers.js';
import { digestRecordKey, type ObjectDigests } from '../../worker/hashing.js';
import { R2Source, SLICE } from '../../workerd/r2-source.js';
import { r2Layout } from '../../worker/names.js';
import { api, CERT_POLICY, golden, hex, KEY_POLICY, publish, putObject, SIGSTORE_POLICY, statementOf } from './helpers.js';

registerWorkerdHashers();

const get = (model: string, path: string, init: RequestInit = {}) => api(`/models/${model}/${path}`, init);

async function expectError(r: Response, status: number, code: string, head = false): Promise<void> {
  expect(r.status).toBe(status);
  expect(r.headers.get('x-error-code')).toBe(code);
  if (head) return expect((await r.arrayBuffer()).byteLength).toBe(0);
  const body = (await r.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

/** Publishes files, signs them from R2 with core/sign (as a release pipeline would) and publishes model.sig. */
async function signedModel(
  model: string,
  files: Record<string, Uint8Array>,
  opts: { shardSize?: number; hashType?: HashAlgorithm } = {},
): Promise<GeneratedKey> {
  const key = await generateSigningKey('P-256');
  await publish(model, files, { method: 'key', publicKey: key.publicKeyPem });
  const signed = await signModel(new R2Source(env.MODELS, model, r2Layout(model)), keySigner(key.signingKey), { ...opts, ignorePaths: ['model.sig'] });
  const r = await putObject(model, 'model.sig', signed.bundle);
  expect(r.status).toBe(201);
  expect(((await r.json()) as any).signature.verified).toBe(true);
  return key;
}

describe('a golden key-signed model behind the gate', () => {
  const M = 'golden-key';
  const g = golden('v1.1.0-elliptic-key');
  const signed = Object.fromEntries(statementOf(g['model.sig']!).predicate.resources.map((r) => [r.name, r.digest]));

  beforeAll(async () => {
    await publish(M, g, KEY_POLICY);
  });

  it('serves every signed file byte-identical to what was signed', async () => {
    expect(Object.keys(signed).sort()).toEqual(['signme-1', 'signme-2']);
    for (const [path, digest] of Object.entries(signed)) {
      const r = await get(M, path);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-model-verify')).toBe('verified');
      const body = new Uint8Array(await r.arrayBuffer());
      expect(await hex(body)).toBe(digest);
      expect(body).toEqual(utf8Encode(g[path]!));
      expect(r.headers.get('content-length')).toBe(String(body.byteLength));
      expect(r.headers.get('accept-ranges')).toBe('bytes');
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const r = await get(M, 'signme-1', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe(String(utf8Encode(g['signme-1']!).byteLength));
    expect(r.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
    expect((await r.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves byte ranges (206 + Content-Range), suffix and open ranges, and 416 past the end', async () => {
    const whole = utf8Encode(g['signme-1']!);
    const cases: [string, number, number][] = [
      ['bytes=2-5', 2, 6],
      ['bytes=3-', 3, whole.length],
      ['bytes=-4', whole.length - 4, whole.length],
      ['bytes=0-1000', 0, whole.length],
    ];
    for (const [range, a, b] of cases) {
      const r = await get(M, 'signme-1', { headers: { range } });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${a}-${b - 1}/${whole.length}`);
      expect(r.headers.get('content-length')).toBe(String(b - a));
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(whole.slice(a, b));
    }
    const r = await get(M, 'signme-1', { headers: { range: `bytes=${whole.length}-` } });
    await expectError(r, 416, 'RANGE_NOT_SATISFIABLE');
    expect(r.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('refuses files the signature does not cover (403), including ones the signer ignored', async () => {
    expect(g['ignore-me']).toBeDefined();
    await expectError(await get(M, 'ignore-me'), 403, 'UNSIGNED_FILE');
    await putObject(M, 'extra.bin', 'not signed');
    await expectError(await get(M, 'extra.bin'), 403, 'UNSIGNED_FILE');
    await expectError(await get(M, 'not/published'), 403, 'UNSIGNED_FILE');
  });

  it('serves the signature itself, unchanged, for clients that verify again', async () => {
    const r = await get(M, 'model.sig');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(g['model.sig']);
  });

  it('reports the model state at the edge with core verifyModel', async () => {
    await api(`/api/v1/models/${M}/files/extra.bin`, { method: 'DELETE', admin: true });
    const s = (await (await api(`/api/v1/models/${M}`)).json()) as any;
    expect(s.errors).toEqual([]);
    expect(s.verified).toBe(true);
    expect(s.signer.method).toBe('key');
    expect(s.resources.map((r: any) => [r.name, r.status])).toEqual([
      ['signme-1', 'ok'],
      ['signme-2', 'ok'],
    ]);
  });

  it('catches a re-uploaded object although the signature still verifies', async () => {
    const r0 = await putObject(M, 'signme-2', 'tampered\n');
    expect(r0.status).toBe(201);
    await expectError(await get(M, 'signme-2'), 403, 'HASH_MISMATCH');
    await expectError(await get(M, 'signme-2', { method: 'HEAD' }), 403, 'HASH_MISMATCH', true);
    await expectError(await get(M, 'signme-2', { headers: { range: 'bytes=0-1' } }), 403, 'HASH_MISMATCH');
    // The other file is untouched and still served; the model's state names the bad file.
    expect((await get(M, 'signme-1')).status).toBe(200);
    const s = (await (await api(`/api/v1/models/${M}`)).json()) as any;
    expect(s.verified).toBe(false);
    expect(s.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-2' });
  });

  it('catches an object replaced in R2 behind the API (no publish hook ran)', async () => {
    await putObject(M, 'signme-2', g['signme-2']!);
    expect((await get(M, 'signme-2')).status).toBe(200);
    await env.MODELS.put('m/golden-key/signme-1', 'swapped!!');
    await expectError(await get(M, 'signme-1'), 403, 'HASH_MISMATCH');
  });
});

describe('certificate and Sigstore (embedded production root) goldens behind the gate', () => {
  it.each([
    ['v1.1.0-certificate', CERT_POLICY, 'certificate'],
    ['v1.1.0-sigstore', SIGSTORE_POLICY, 'sigstore'],
  ] as const)('%s: signed files served, the ignored one refused', async (kase, policy, method) => {
    const g = golden(kase);
    const M = `golden-${method}`;
    await publish(M, g, policy);
    const signed = statementOf(g['model.sig']!).predicate.resources;
    for (const r of signed) {
      const res = await get(M, r.name);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-model-signer')).toMatch(new RegExp(`^${method}`));
      expect(await hex(await res.arrayBuffer())).toBe(r.digest);
    }
    await expectError(await get(M, 'ignore-me'), 403, 'UNSIGNED_FILE');
    const state = (await (await api(`/api/v1/models/${M}`)).json()) as any;
    expect(state.verified).toBe(true);
    expect(state.signer.method).toBe(method);
  });
});

describe('a model whose signature fails its policy serves nothing', () => {
  const g = golden('v1.1.0-elliptic-key');

  it('key bundle under a certificate policy', async () => {
    await publish('wrong-method', g, CERT_POLICY);
    for (const p of ['signme-1', 'signme-2', 'ignore-me']) await expectError(await get('wrong-method', p), 403, 'BUNDLE_MATERIAL');
  });

  it('key bundle under another key', async () => {
    const other = await generateSigningKey('P-384');
    await publish('wrong-key', g, { method: 'key', publicKey: other.publicKeyPem });
    for (const p of ['signme-1', 'signme-2']) await expectError(await get('wrong-key', p), 403, 'KEY_MISMATCH');
    // Fixing the policy is enough: verdicts are keyed by the policy digest.
    expect((await api('/api/v1/models/wrong-key/policy', { method: 'PUT', body: JSON.stringify(KEY_POLICY), admin: true })).status).toBe(200);
    expect((await get('wrong-key', 'signme-1')).status).toBe(200);
  });

  it('a model without a signature or without a policy', async () => {
    await publish('unsigned', { 'signme-1': g['signme-1']! }, KEY_POLICY);
    await expectError(await get('unsigned', 'signme-1'), 403, 'NO_SIGNATURE');
    await putObject('no-policy', 'signme-1', g['signme-1']!);
    await putObject('no-policy', 'model.sig', g['model.sig']!);
    await expectError(await get('no-policy', 'signme-1'), 403, 'NO_POLICY');
  });
});

describe('shard-signed models: ranges are checked against the shards they touch', () => {
  const M = 'sharded';
  const a = randomBytes(1000);
  const b = randomBytes(300);

  beforeAll(async () => {
    await signedModel(M, { 'w/a.bin': a, 'b.bin': b }, { shardSize: 256 });
  });

  it('serves whole files and aligned and unaligned ranges', async () => {
    expect(new Uint8Array(await (await get(M, 'w/a.bin')).arrayBuffer())).toEqual(a);
    expect(new Uint8Array(await (await get(M, 'b.bin')).arrayBuffer())).toEqual(b);
    for (const [s, e] of [
      [256, 511],
      [500, 520],
      [768, 999],
    ] as const) {
      const r = await get(M, 'w/a.bin', { headers: { range: `bytes=${s}-${e}` } });
      expect(r.status).toBe(206);
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(a.slice(s, e + 1));
    }
  });

  it('after one shard changes, only ranges that touch it are refused', async () => {
    const t = a.slice();
    t[600] = t[600]! ^ 0xff; // inside shard 512-768
    expect((await putObject(M, 'w/a.bin', t)).status).toBe(201);
    const ok = await get(M, 'w/a.bin', { headers: { range: 'bytes=0-255' } });
    expect(ok.status).toBe(206);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(a.slice(0, 256));
    expect((await get(M, 'w/a.bin', { headers: { range: 'bytes=768-' } })).status).toBe(206);
    await expectError(await get(M, 'w/a.bin', { headers: { range: 'bytes=512-767' } }), 403, 'HASH_MISMATCH');
    await expectError(await get(M, 'w/a.bin', { headers: { range: 'bytes=500-520' } }), 403, 'HASH_MISMATCH');
    await expectError(await get(M, 'w/a.bin'), 403, 'HASH_MISMATCH');
  });

  it('a file whose length changed is refused whatever the range', async () => {
    expect((await putObject(M, 'b.bin', b.slice(0, 299))).status).toBe(201);
    await expectError(await get(M, 'b.bin', { headers: { range: 'bytes=0-10' } }), 403, 'HASH_MISMATCH');
  });
});

describe('BLAKE2b and BLAKE3 signatures are checked at the edge (static wasm)', () => {
  it.each(['blake2b', 'blake3'] as const)('%s', async (hashType) => {
    const M = `model-${hashType}`;
    const data = randomBytes(70_000);
    await signedModel(M, { 'weights.bin': data }, { hashType });
    const r = await get(M, 'weights.bin');
    expect(r.status).toBe(200);
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(data);
    const state = (await (await api(`/api/v1/models/${M}`)).json()) as any;
    expect(state.verified).toBe(true);
    expect(state.serialization.hashType).toBe(hashType);
    data[0] = data[0]! ^ 1;
    await putObject(M, 'weights.bin', data);
    await expectError(await get(M, 'weights.bin'), 403, 'HASH_MISMATCH');
  });
});

describe('each object is hashed once per upload', () => {
  const M = 'hash-once';
  const data = randomBytes(5000);

  it('records digests against the R2 etag and version on publish and reuses them only for that upload', async () => {
    await signedModel(M, { 'f.bin': data });
    const obj = (await env.MODELS.head('m/hash-once/f.bin'))!;
    const key = await digestRecordKey(M, 'f.bin');
    const rec = (await env.VERDICTS.get<ObjectDigests>(key, 'json'))!;
    expect(rec).toMatchObject({ etag: obj.etag, version: obj.version, size: 5000 });
    expect(rec.digests['sha256:0-5000']).toBe(await hex(data));

    // A record for this exact upload is trusted (so it is what the gate uses): a wrong digest in it is a 403.
    await env.VERDICTS.put(key, JSON.stringify({ ...rec, digests: { 'sha256:0-5000': '00'.repeat(32) } }));
    await expectError(await get(M, 'f.bin'), 403, 'HASH_MISMATCH');
    // The same record claiming another upload (version) is ignored: the object is hashed again and served.
    await env.VERDICTS.put(key, JSON.stringify({ ...rec, version: 'another-upload', digests: { 'sha256:0-5000': '00'.repeat(32) } }));
    const r = await get(M, 'f.bin');
    expect(r.status).toBe(200);
    expect(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', await r.arrayBuffer())))).toBe(rec.digests['sha256:0-5000']);
    expect((await env.VERDICTS.get<ObjectDigests>(key, 'json'))!.version).toBe(obj.version);
  });
});

describe('objects larger than one R2 read slice', () => {
  it('hash and serve across slice boundaries (files and shards straddling a slice)', async () => {
    const data = randomBytes(SLICE * 2 + 12345);
    await signedModel('big-files', { 'big.bin': data });
    const r = await get('big-files', 'big.bin');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe(String(data.byteLength));
    expect(await hex(await r.arrayBuffer())).toBe(await hex(data));

    // Shards of 3 MiB: one straddles each slice boundary.
    await signedModel('big-shards', { 'big.bin': data }, { shardSize: 3 * 1024 * 1024 });
    const from = SLICE - 100;
    const part = await get('big-shards', 'big.bin', { headers: { range: `bytes=${from}-${from + 199}` } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(data.slice(from, from + 200));
    const t = data.slice();
    t[SLICE + 1] = t[SLICE + 1]! ^ 0x80;
    await putObject('big-shards', 'big.bin', t);
    await expectError(await get('big-shards', 'big.bin', { headers: { range: `bytes=${from}-${from + 199}` } }), 403, 'HASH_MISMATCH');
    expect((await get('big-shards', 'big.bin', { headers: { range: 'bytes=0-99' } })).status).toBe(206);
  });
});

describe('each signature is verified once per (bundle, policy, trust root)', () => {
  it('stores the verdict in KV under the content digests and reuses it', async () => {
    const g = golden('v1.0.1-elliptic-key');
    await publish('verdict-once', g, KEY_POLICY);
    expect((await get('verdict-once', 'signme-1')).status).toBe(200);
    const bundleDigest = await hex(utf8Encode(g['model.sig']!));
    const { digest: policyDigest } = (await (await api('/api/v1/models/verdict-once/policy')).json()) as { digest: string };
    const key = `verdict/${bundleDigest}/${policyDigest}/none`;
    const v = (await env.VERDICTS.get(key, 'json')) as { verified: boolean; manifest: { resources: unknown[] } };
    expect(v.verified).toBe(true);
    expect(v.manifest.resources).toHaveLength(2);
    // The cached verdict is what the gate uses: a forged negative one (KV is trusted storage) closes the gate.
    await env.VERDICTS.put(key, JSON.stringify({ ...v, verified: false, errors: [{ code: 'SIGNATURE_INVALID', message: 'forged' }] }));
    await expectError(await get('verdict-once', 'signme-1'), 403, 'SIGNATURE_INVALID');
  });
});

describe('R2Source pins what it listed', () => {
  it('a read after the object was replaced fails with MODEL_CHANGED instead of mixing content', async () => {
    await env.MODELS.put('m/pinned/f.bin', 'first version');
    const src = new R2Source(env.MODELS, 'pinned', { listable: false, ...r2Layout('pinned') });
    expect(await src.stat('f.bin')).toMatchObject({ path: 'f.bin', size: 13 });
    await env.MODELS.put('m/pinned/f.bin', 'second version');
    await expect(new Response(src.open('f.bin')).arrayBuffer()).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
    // Listing pins again: the new object reads fine.
    const entries = [];
    for await (const e of new R2Source(env.MODELS, 'pinned', r2Layout('pinned')).list()) entries.push(e);
    expect(entries).toEqual([{ path: 'f.bin', kind: 'file', size: 14 }]);
  });
});
