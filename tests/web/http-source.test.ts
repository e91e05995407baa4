/**
 * HttpSource against a real local HTTP server: signed shard models verify through Range requests, including
 * servers that ignore Range or refuse HEAD; tampering, missing files and unreachable hosts fail with codes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelVerifyError } from '../../core/errors.js';
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

/**
 * Hostile servers: endless or lying bodies, failures that are not "missing", wrong ranges, bad escapes.
 * Each route is one behaviour; `sent`/`closed` let a test see how much the server wrote and that the client hung up.
 */
describe('HttpSource and fetchBytes against hostile servers', () => {
  let hostile: Server;
  let h: string;
  const stats = { sent: 0, closed: false };
  const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

  beforeAll(async () => {
    hostile = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      if (path === '/endless') {
        // Chunked (no Content-Length), as fast as the socket drains, forever.
        stats.sent = 0;
        stats.closed = false;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.on('close', () => (stats.closed = true));
        const pump = () => {
          for (;;) {
            if (res.destroyed) return;
            stats.sent += CHUNK.byteLength;
            if (!res.write(CHUNK)) return void res.once('drain', pump);
          }
        };
        return pump();
      }
      if (path === '/declared-huge') {
        stats.sent = 0;
        stats.closed = false;
        res.on('close', () => (stats.closed = true));
        res.writeHead(200, { 'content-length': '99999999999' });
        return res.write(CHUNK); // then hang: the client must not wait for the rest
      }
      if (path.startsWith('/forbidden/')) return res.writeHead(403).end();
      if (path.startsWith('/broken/')) return res.writeHead(503).end();
      if (path === '/gone/model.sig') return res.writeHead(410).end();
      if (path === '/huge-length/a.bin') {
        // A size no file has: neither answer may become a float "size".
        if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': '99999999999999999999' }).end();
        return res.writeHead(206, { 'content-range': 'bytes 0-0/99999999999999999999', 'content-length': 1 }).end('x');
      }
      if (path === '/wrong-range/a.bin') {
        // Answers every range with bytes 0-9: a shard must never be hashed from another offset.
        if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': 100 }).end();
        return res.writeHead(206, { 'content-range': 'bytes 0-9/100', 'content-length': 10 }).end('0123456789');
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    h = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });

  afterAll(
    () =>
      new Promise<void>((r) => {
        hostile.closeAllConnections();
        hostile.close(() => r());
      }),
  );

  it('refuses an endless chunked body at the cap with bounded memory, and hangs up', async () => {
    const cap = 64 << 20; // the default cap
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      await expect(fetchBytes(`${h}/endless`, 'signature')).rejects.toMatchObject({
        code: 'BUNDLE_TOO_LARGE',
        message: expect.stringMatching(/more than 67108864 bytes/),
      });
    } finally {
      clearInterval(t);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // The server must see the connection end (the body was cancelled, not drained).
    for (let i = 0; i < 200 && !stats.closed; i++) await new Promise((r) => setTimeout(r, 10));
    const sentAtClose = stats.sent;
    await new Promise((r) => setTimeout(r, 100));
    expect(stats.closed).toBe(true);
    expect(stats.sent).toBe(sentAtClose); // nothing more is written once the client hung up
    // The cap was reached (the whole 64 MiB was read) and the server got no further than socket buffers past it.
    expect(sentAtClose).toBeGreaterThan(cap);
    expect(sentAtClose).toBeLessThan(cap + (16 << 20));
    const growth = (peak - before) / (1 << 20);
    console.log(`endless body: server wrote ${(sentAtClose / (1 << 20)).toFixed(1)} MiB before the hang-up; peak RSS growth ${growth.toFixed(0)} MiB`);
    // Unbounded reading grew RSS by gigabytes; the cap plus copies is a small multiple of 64 MiB.
    expect(growth).toBeLessThan(320);
  });

  it('honours a small cap the same way', async () => {
    await expect(fetchBytes(`${h}/endless`, 'certificate', { maxBytes: 1 << 20 })).rejects.toMatchObject({ code: 'BUNDLE_TOO_LARGE' });
    for (let i = 0; i < 200 && !stats.closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stats.closed).toBe(true);
    expect(stats.sent).toBeLessThan((1 << 20) + (16 << 20));
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    await expect(fetchBytes(`${h}/declared-huge`, 'signature')).rejects.toMatchObject({
      code: 'BUNDLE_TOO_LARGE',
      message: expect.stringMatching(/99999999999 bytes/),
    });
    for (let i = 0; i < 200 && !stats.closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stats.closed).toBe(true);
  });

  it('never reports a failure to read as a missing file or signature', async () => {
    await expect(new HttpSource(`${h}/forbidden/`).stat('a.bin')).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'a.bin',
      message: expect.stringMatching(/HTTP 403/),
    });
    await expect(new HttpSource(`${h}/broken/`).stat('a.bin')).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'a.bin',
      message: expect.stringMatching(/HTTP 503/),
    });
    await expect(fetchBytes(`${h}/forbidden/model.sig`, 'signature')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(fetchBytes(`${h}/broken/model.sig`, 'signature')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(fetchBytes(`${h}/gone/model.sig`, 'signature')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await new HttpSource(`${h}/nothing/`).stat('a.bin')).toBeNull();
    // Through verifyModel: the signed file is reported as unreadable, not as missing.
    const { bundle, policy } = await signed();
    const r = await verifyModel(new HttpSource(`${h}/forbidden/`), bundle, policy);
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code)).not.toContain('MISSING_FILE');
    expect(r.errors[0]?.code).toBe('IO_ERROR');
  });

  it('refuses sizes that are not safe integers', async () => {
    await expect(new HttpSource(`${h}/huge-length/`).stat('a.bin')).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'a.bin' });
  });

  it('refuses a 206 for other bytes than the range asked for', async () => {
    const src = new HttpSource(`${h}/wrong-range/`);
    expect(await src.stat('a.bin')).toMatchObject({ size: 100 });
    await expect(new Response(src.open('a.bin', { start: 50, end: 60 })).arrayBuffer()).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'a.bin' });
  });

  it('turns malformed percent-escapes and unencodable paths into typed errors, never URIError', () => {
    for (const url of [`${h}/%zz/`, `${h}/org/%E0%A4%A/resolve/main/`, `${h}/m/%`, `${h}/%C0%AF`]) {
      let err: unknown;
      try {
        new HttpSource(url);
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(ModelVerifyError);
      expect(err, url).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    }
    expect(() => new HttpSource(`${h}/%zz/`, { name: 'given' })).toThrow(ModelVerifyError);
    // A lone surrogate (legal in a hostile manifest's JSON) cannot be percent-encoded.
    const src = new HttpSource(`${h}/m/`);
    expect(() => src.urlOf('a/\ud800.bin')).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE', resource: 'a/\ud800.bin' }));
    expect(() => src.open('\udfff')).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE' }));
    // A literal '%' in a signed name is just a character: encoded, not decoded.
    expect(src.urlOf('100%.bin').pathname).toBe('/m/100%25.bin');
  });
});
