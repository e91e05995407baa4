/**
 * HttpSource against a real local HTTP server: signed shard models verify through Range requests, including
 * servers that ignore Range or refuse HEAD; tampering, missing files and unreachable hosts fail with codes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSource, fetchBytes, modelNameFromUrl } from '../../core/sources/http-source.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import type { Policy } from '../../core/policy/types.js';

const FILES: Record<string, Uint8Array> = {
  'config.json': new TextEncoder().encode('{"hidden_size": 64}\n'),
  'weights/model-00001.bin': Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff),
  'weights/model-00002.bin': Uint8Array.from({ length: 3001 }, (_, i) => (i * 7 + 3) & 0xff),
  'empty.txt': new Uint8Array(0),
};

type Mode = 'normal' | 'ignore-range' | 'no-head' | 'tamper' | 'drop-config';
const requests: { method: string; url: string; range?: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const [, mode, ...rest] = url.pathname.split('/') as [string, Mode, ...string[]];
    const path = decodeURIComponent(rest.join('/'));
    requests.push({ method: req.method!, url: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}) });
    let body = FILES[path];
    if (!body || (mode === 'drop-config' && path === 'config.json')) return res.writeHead(404).end();
    if (mode === 'no-head' && req.method === 'HEAD') return res.writeHead(405).end();
    if (mode === 'tamper' && path === 'weights/model-00001.bin') {
      body = body.slice();
      body[4500]! ^= 0x80;
    }
    const m = req.headers.range && mode !== 'ignore-range' ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (m) {
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]) + 1, body.length) : body.length;
      if (start >= body.length) return res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      res.writeHead(206, { 'content-range': `bytes ${start}-${end - 1}/${body.length}`, 'content-length': end - start });
      return res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end));
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function signed(shardSize?: number): Promise<{ bundle: Uint8Array; policy: Policy }> {
  const key = await generateSigningKey('P-256');
  const { bundle } = await signModel(new MemorySource('tiny-model', FILES), keySigner(key.signingKey), shardSize ? { shardSize } : {});
  return { bundle, policy: { method: 'key', publicKey: key.publicKeyPem } };
}

describe('HttpSource', () => {
  it('names models after the hub repository or the last path segment', () => {
    expect(modelNameFromUrl(new URL('https://huggingface.co/org/tiny-model/resolve/main/'))).toBe('tiny-model');
    expect(modelNameFromUrl(new URL('https://cdn.example/models/bert/'))).toBe('bert');
  });

  for (const mode of ['normal', 'ignore-range', 'no-head'] as const) {
    it(`verifies a shard-signed model over HTTP (${mode})`, async () => {
      const { bundle, policy } = await signed(1024);
      requests.length = 0;
      const report = await verifyModel(new HttpSource(`${base}/${mode}/`), bundle, policy);
      expect(report.errors).toEqual([]);
      expect(report.verified).toBe(true);
      expect(report.model.listable).toBe(false);
      expect(report.warnings.join(' ')).toMatch(/cannot list/);
      expect(report.resources.filter((r) => r.status === 'ok')).toHaveLength(Math.ceil(5000 / 1024) + Math.ceil(3001 / 1024) + 1);
      expect(report.bytesHashed).toBe(5000 + 3001 + 20);
      // Shards after the first are fetched by Range; whole-file reads (start 0) are plain GETs.
      const ranged = requests.filter((r) => r.method === 'GET' && r.range?.startsWith('bytes=1024-'));
      expect(ranged.length).toBeGreaterThan(0);
    });
  }

  it('verifies a files-signed model and fails on one flipped bit, naming the file', async () => {
    const { bundle, policy } = await signed();
    expect((await verifyModel(new HttpSource(`${base}/normal/`), bundle, policy)).verified).toBe(true);
    const bad = await verifyModel(new HttpSource(`${base}/tamper/`), bundle, policy);
    expect(bad.verified).toBe(false);
    expect(bad.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'weights/model-00001.bin' });
  });

  it('names the tampered shard', async () => {
    const { bundle, policy } = await signed(1024);
    const bad = await verifyModel(new HttpSource(`${base}/tamper/`), bundle, policy);
    expect(bad.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'weights/model-00001.bin:4096:5000' });
  });

  it('reports a signed file the server does not have as missing', async () => {
    const { bundle, policy } = await signed();
    const r = await verifyModel(new HttpSource(`${base}/drop-config/`), bundle, policy);
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain('MISSING_FILE');
  });

  it('verifies a single-file model given by its own URL', async () => {
    const key = await generateSigningKey('P-256');
    const one = new MemorySource('model-00002.bin', { '.': FILES['weights/model-00002.bin']! });
    const { bundle } = await signModel(one, keySigner(key.signingKey));
    const r = await verifyModel(new HttpSource(`${base}/normal/weights/model-00002.bin`), bundle, { method: 'key', publicKey: key.publicKeyPem });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
  });

  it('turns unreachable hosts into IO_ERROR with a CORS hint, and refuses unsafe paths', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const src = new HttpSource(`http://127.0.0.1:${port}/m/`);
    await expect(src.stat('a.bin')).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/CORS/) });
    await expect(fetchBytes(`http://127.0.0.1:${port}/model.sig`, 'signature')).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(() => src.urlOf('../secret')).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE' }));
    expect(() => new HttpSource('file:///etc/passwd')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    await expect(fetchBytes(`${base}/normal/missing.sig`, 'signature')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
