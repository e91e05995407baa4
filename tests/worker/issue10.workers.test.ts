/**
 * Issue 10 at the edge (workerd): a file signed in 130,000 shards is served (no stack overflow, no per-shard
 * subrequests), its verdict (over one KV value's 25 MiB) is kept chunked and reused, ranges past the end are
 * clamped, HEAD 416 carries a length, and R2 failures or short listings are typed errors, never 500s or a
 * shorter model.
 */
import { env } from 'cloudflare:test';
import type { R2Bucket } from '@cloudflare/workers-types/latest';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { utf8Encode } from '../../core/util/bytes.js';
import { registerWorkerdHashers } from '../../workerd/hashers.js';
import worker from '../../worker/index.js';
import { deleteLarge, getLarge, getLargeJson, KV_CHUNK_BYTES, KV_VALUE_LIMIT, putLarge } from '../../worker/kv-large.js';
import { parseRange } from '../../worker/range.js';
import { R2Source, SLICE } from '../../workerd/r2-source.js';
import { r2Layout } from '../../worker/names.js';
import type { Env } from '../../worker/env.js';
import type { Verdict } from '../../worker/store.js';
import { api, BASE, golden, hex, KEY_POLICY, publish, putObject, putPolicy } from './helpers.js';

registerWorkerdHashers();

const get = (model: string, path: string, init: RequestInit = {}) => api(`/models/${model}/${path}`, init);

describe('Range past the end (RFC 9110 §14.1.2) and HEAD 416', () => {
  const M = 'ranges10';
  const g = golden('v1.1.0-elliptic-key');
  const whole = utf8Encode(g['signme-1']!);
  const n = whole.length;

  beforeAll(async () => {
    await publish(M, g, KEY_POLICY);
  });

  it('parseRange clamps last-byte-pos and suffix lengths past the end, and refuses only what is unsatisfiable', () => {
    expect(parseRange('bytes=0-99999999999999999999', 10)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange(`bytes=0-${'9'.repeat(400)}`, 10)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange('bytes=3-9007199254740993', 10)).toEqual({ kind: 'partial', start: 3, end: 10 });
    expect(parseRange('bytes=0-9', 10)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange('bytes=0-8', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=-99999999999999999999', 10)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange('bytes=-10', 10)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange('bytes=-3', 10)).toEqual({ kind: 'partial', start: 7, end: 10 });
    expect(parseRange('bytes=99999999999999999999-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
  });

  it('answers bytes=0-<huge> with a 206 of the whole file', async () => {
    for (const range of ['bytes=0-99999999999999999999', 'bytes=0-9007199254740993', `bytes=1-${'9'.repeat(300)}`, 'bytes=-99999999999999999999']) {
      const r = await get(M, 'signme-1', { headers: { range } });
      const start = range.startsWith('bytes=1-') ? 1 : 0;
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${n - 1}/${n}`);
      expect(r.headers.get('content-length'), range).toBe(String(n - start));
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(whole.slice(start));
    }
  });

  it('answers a HEAD 416 with Content-Range and the Content-Length of the GET body', async () => {
    const range = `bytes=${n}-`;
    const getRes = await get(M, 'signme-1', { headers: { range } });
    expect(getRes.status).toBe(416);
    const body = await getRes.arrayBuffer();
    const headRes = await get(M, 'signme-1', { method: 'HEAD', headers: { range } });
    expect(headRes.status).toBe(416);
    expect(headRes.headers.get('x-error-code')).toBe('RANGE_NOT_SATISFIABLE');
    expect(headRes.headers.get('content-range')).toBe(`bytes */${n}`);
    expect(headRes.headers.get('content-length')).toBe(String(body.byteLength));
    expect((await headRes.arrayBuffer()).byteLength).toBe(0);
    // Other HEAD refusals carry their length too; a served HEAD keeps the object's.
    const unsigned = await get(M, 'ignore-me', { method: 'HEAD' });
    expect(unsigned.status).toBe(403);
    expect(Number(unsigned.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await get(M, 'signme-1', { method: 'HEAD' })).headers.get('content-length')).toBe(String(n));
  });
});

describe('a file signed in 130,000 shards', () => {
  const M = 'many-shards';
  const SHARDS = 130_000;
  // A long name makes every one of the 130k resources bigger, so the verdict passes KV's 25 MiB value limit.
  const PATH = `weights/${'w'.repeat(72)}.bin`;
  const bytes = Uint8Array.from({ length: SHARDS }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  let bundle: Uint8Array;
  let verdictKey: string;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const key = await generateSigningKey('P-256');
    let t = Date.now();
    // Signed as a release pipeline would from its own copy (one-byte shards: 130,000 resources).
    ({ bundle } = await signModel(new MemorySource(M, { [PATH]: bytes }), keySigner(key.signingKey), { shardSize: 1 }));
    timings.sign = Date.now() - t;
    expect((await putPolicy(M, { method: 'key', publicKey: key.publicKeyPem })).status).toBe(200);
    expect((await putObject(M, PATH, bytes)).status).toBe(201);
    t = Date.now();
    const r = await putObject(M, 'model.sig', bundle);
    timings.publishSignature = Date.now() - t;
    expect(r.status).toBe(201);
    expect(((await r.json()) as { signature: { verified: boolean } }).signature.verified).toBe(true);
    const { digest } = (await (await api(`/api/v1/models/${M}/policy`)).json()) as { digest: string };
    verdictKey = `verdict/${await hex(bundle)}/${digest}/none`;
  }, 300_000);

  it('is served whole (200, byte-identical) instead of a 500, and ranges of it (206)', async () => {
    let t = Date.now();
    const r = await get(M, PATH);
    timings.firstGet = Date.now() - t;
    expect(r.status).toBe(200);
    expect(r.headers.get('x-model-verify')).toBe('verified');
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes);
    t = Date.now();
    const again = await get(M, PATH);
    timings.secondGet = Date.now() - t;
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    const part = await get(M, PATH, { headers: { range: 'bytes=64000-64099' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(64000, 64100));
    const head = await get(M, PATH, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SHARDS));
    console.log(
      `130k shards: bundle ${(bundle.byteLength / 2 ** 20).toFixed(1)} MiB; sign ${timings.sign} ms, publish signature ${timings.publishSignature} ms, first GET ${timings.firstGet} ms, second GET ${timings.secondGet} ms`,
    );
  }, 300_000);

  it('keeps its verdict (over 25 MiB) in KV as checked chunks, and the gate uses it', async () => {
    const { value, metadata } = await env.VERDICTS.getWithMetadata<{ chunked: { bytes: number; count: number } }>(verdictKey, 'text');
    expect(value).toBe('');
    expect(metadata!.chunked.bytes).toBeGreaterThan(KV_VALUE_LIMIT);
    expect(metadata!.chunked.count).toBe(Math.ceil(metadata!.chunked.bytes / KV_CHUNK_BYTES));
    const v = (await getLargeJson<Verdict>(env.VERDICTS, verdictKey))!;
    expect(v.verified).toBe(true);
    expect(v.manifest!.resources).toHaveLength(SHARDS);
    // The cached chunked verdict is what the gate reads: a forged negative one (stored the same way) closes it.
    await putLarge(env.VERDICTS, verdictKey, JSON.stringify({ ...v, verified: false, errors: [{ code: 'SIGNATURE_INVALID', message: 'forged' }] }));
    const r = await get(M, PATH, { method: 'HEAD' });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-error-code')).toBe('SIGNATURE_INVALID');
    // A chunk that does not match the pointer's digest is a miss: the verdict is recomputed, never trusted.
    const m2 = (await env.VERDICTS.getWithMetadata<{ chunked: { sha256: string } }>(verdictKey, 'text')).metadata!;
    await env.VERDICTS.put(`${verdictKey}#${m2.chunked.sha256}/0`, new Uint8Array(KV_CHUNK_BYTES));
    expect(await getLarge(env.VERDICTS, verdictKey)).toBeNull();
    expect((await get(M, PATH, { method: 'HEAD' })).status).toBe(200);
    expect((await getLargeJson<Verdict>(env.VERDICTS, verdictKey))!.verified).toBe(true);
  }, 300_000);

  it('reads its 130,000 shards with one R2 get per 8 MiB window, not one per shard', async () => {
    let gets = 0;
    const counting = new Proxy(env.MODELS, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (prop === 'get') return (...a: unknown[]) => (gets++, (v as (...x: unknown[]) => unknown).apply(target, a));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as R2Bucket;
    const src = new R2Source(counting, M, { listable: false, ...r2Layout(M) });
    await src.stat(PATH);
    let total = 0;
    for (let i = 0; i < SHARDS; i += 997) {
      const b = new Uint8Array(await new Response(src.open(PATH, { start: i, end: i + 1 })).arrayBuffer());
      expect(b[0]).toBe(bytes[i]);
      total++;
    }
    expect(total).toBeGreaterThan(100);
    expect(gets).toBe(Math.ceil(SHARDS / SLICE));
  });
});

describe('large KV values', () => {
  it('round-trip through chunks with integrity, and are deleted with their chunks', async () => {
    const big = 'é'.repeat(16 * 1024 * 1024); // 32 MiB of UTF-8 in 16 Mi UTF-16 units
    expect(await putLarge(env.VERDICTS, 'test/big', big, { expirationTtl: 3600 })).toBe('chunked');
    expect(await getLarge(env.VERDICTS, 'test/big')).toBe(big);
    expect(await putLarge(env.VERDICTS, 'test/small', 'hello')).toBe('stored');
    expect(await getLarge(env.VERDICTS, 'test/small')).toBe('hello');
    expect(await getLarge(env.VERDICTS, 'test/none')).toBeNull();
    const { metadata } = await env.VERDICTS.getWithMetadata<{ chunked: { sha256: string } }>('test/big', 'text');
    await env.VERDICTS.delete(`test/big#${metadata!.chunked.sha256}/1`);
    expect(await getLarge(env.VERDICTS, 'test/big')).toBeNull(); // an incomplete value is a miss
    await deleteLarge(env.VERDICTS, 'test/big');
    expect((await env.VERDICTS.list({ prefix: 'test/big' })).keys).toEqual([]);
  }, 120_000);
});

describe('R2 failures and short listings are typed', () => {
  /** env.MODELS with some methods replaced. */
  function bucket(over: Partial<Record<'get' | 'head' | 'list', (...a: any[]) => Promise<unknown>>>): R2Bucket {
    return new Proxy(env.MODELS, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in over) return over[prop as keyof typeof over];
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as R2Bucket;
  }

  beforeAll(async () => {
    await publish('r2fail', golden('v1.1.0-elliptic-key'), KEY_POLICY);
  });

  it('a listing truncated without a cursor, or with a repeating cursor, is an IO_ERROR, not a shorter model', async () => {
    const noCursor = new R2Source(bucket({ list: async () => ({ objects: [], truncated: true, delimitedPrefixes: [] }) }), 'r2fail');
    await expect(
      (async () => {
        for await (const _ of noCursor.list()) void _;
      })(),
    ).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'r2fail' });
    const loop = new R2Source(bucket({ list: async () => ({ objects: [], truncated: true, cursor: 'same', delimitedPrefixes: [] }) }), 'r2fail');
    await expect(
      (async () => {
        for await (const _ of loop.list()) void _;
      })(),
    ).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/repeated/) });
    const broken = new R2Source(bucket({ list: async () => Promise.reject(new Error('R2 internal error')) }), 'r2fail');
    await expect(
      (async () => {
        for await (const _ of broken.list()) void _;
      })(),
    ).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('a gate whose R2 reads fail answers 403 IO_ERROR naming the file, never 500', async () => {
    const fails = async () => Promise.reject(new Error('We encountered an internal error. Please try again.'));
    for (const over of [{ head: fails }, { get: fails }, { list: fails }] as const) {
      const broken = { ...env, MODELS: bucket(over) } as unknown as Env;
      for (const [path, method] of [
        ['signme-1', 'GET'],
        ['signme-1', 'HEAD'],
        ['model.sig', 'GET'],
      ] as const) {
        const r = await worker.fetch(new Request(`${BASE}/models/r2fail/${path}`, { method }), broken);
        expect(r.status, `${Object.keys(over)[0]} ${method} ${path}`).toBeLessThan(500);
        if (r.status !== 200) expect(r.headers.get('x-error-code')).toMatch(/^(IO_ERROR|MODEL_CHANGED)$/);
        await r.arrayBuffer();
      }
    }
    const broken = { ...env, MODELS: bucket({ head: fails }) } as unknown as Env;
    const r = await worker.fetch(new Request(`${BASE}/models/r2fail/signme-1`), broken);
    expect(r.status).toBe(403);
    expect((await r.json()) as unknown).toMatchObject({ error: { code: 'IO_ERROR', message: expect.stringMatching(/signme-1/) } });
  });
});
