/**
 * createVerifiedFetch over real HTTP (Node's fetch against a local node:http hub on 127.0.0.1): the socket-level
 * cases an in-memory fetch cannot show, such as an endless chunked body that must be cut off at the size bound.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifiedFetch } from '../../core/fetch/index.js';
import type { ModelVerifyError } from '../../core/errors.js';
import { bytesOf, signFiles } from './model-server.js';

const files = { 'config.json': new TextEncoder().encode('{"a":1}'), 'model.onnx': bytesOf(300_000) };
let server: Server;
let base: string;
const seen: { url: string; range?: string }[] = [];
let endlessWritten = 0;
let endlessClosed = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ url: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const name = url.pathname.replace(/^\/m\//, '');
    if (name === 'endless.bin') {
      // Chunked, no length: a hostile server streaming forever.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const tick = () => {
        if (res.destroyed) return void (endlessClosed = true);
        endlessWritten += 65536;
        if (res.write(Buffer.alloc(65536, 1))) setImmediate(tick);
        else res.once('drain', tick);
      };
      res.on('close', () => void (endlessClosed = true));
      return tick();
    }
    let body = (files as Record<string, Uint8Array>)[name.replace(/^tampered\//, '')];
    if (!body) return res.writeHead(404).end();
    if (name.startsWith('tampered/')) {
      body = Uint8Array.from(body);
      body[body.length - 1]! ^= 1;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const caught = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e as ModelVerifyError,
  );

describe('createVerifiedFetch over HTTP', () => {
  it('verified, tampered, probed, streamed, outside', async () => {
    const s = await signFiles(files);
    const vf = createVerifiedFetch({ signature: s.bundle, policy: s.policy, baseUrl: base });
    const res = await vf(`${base}model.onnx`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(files['model.onnx']);
    expect(res.headers.get('content-length')).toBe('300000');

    const probe = await vf(`${base}config.json`, { headers: { Range: 'bytes=0-0' } });
    expect(await probe.text()).toBe('{');
    expect(seen.at(-1)).toEqual({ url: '/m/config.json' }); // the Range was not forwarded

    const t = createVerifiedFetch({ signature: s.bundle, policy: s.policy, baseUrl: `${base}tampered/` });
    const e = await caught(t(`${base}tampered/model.onnx`));
    expect([e.code, e.resource]).toEqual(['HASH_MISMATCH', 'model.onnx']);

    const st = createVerifiedFetch({ signature: s.bundle, policy: s.policy, baseUrl: `${base}tampered/`, mode: 'stream' });
    const body = await st(`${base}tampered/model.onnx`);
    const err = await caught(body.arrayBuffer());
    expect(err.code).toBe('HASH_MISMATCH');

    const outside = await vf(`${base.replace('/m/', '/other/')}x`);
    expect(outside.status).toBe(404); // the server's own answer, untouched
  });

  it('an endless body is cut off at maxFileBytes: the connection is closed, not drained', async () => {
    const s = await signFiles({ 'endless.bin': bytesOf(10) });
    const vf = createVerifiedFetch({ signature: s.bundle, policy: s.policy, baseUrl: base, maxFileBytes: 1 << 20 });
    const e = await caught(vf(`${base}endless.bin`));
    expect(e.code).toBe('MODEL_TOO_LARGE');
    for (let i = 0; i < 50 && !endlessClosed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(endlessClosed).toBe(true);
    // Socket buffers hold a few MiB at most; the server was stopped long before writing 64 MiB.
    expect(endlessWritten).toBeLessThan(64 << 20);
  });
});
