/**
 * A model hub as a `fetch` (the option createVerifiedFetch takes): files answered from memory with Content-Length,
 * single Range support and small body chunks, like a CDN, plus a log of what was asked and how many body bytes were
 * pulled. Runs the same in Node, Chromium and workerd, where a socket server cannot.
 */
import { generateSigningKey } from '../../core/sign/generate.js';
import { signModel } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import type { Policy } from '../../core/policy/types.js';

export const HUB = 'https://hub.test/org/tiny/resolve/main/';

export interface Served {
  /** Extra bytes after the file (a server sending more than signed). */
  extra?: number;
  /** Declared Content-Length (default: the real length; null: none). */
  length?: number | null;
  /** Flip the byte at this offset. */
  flip?: number;
  /** Answer Range requests with the whole file (200). */
  ignoreRange?: boolean;
}

export interface LogEntry {
  url: string;
  method: string;
  range: string | null;
}

export function modelServer(files: Record<string, Uint8Array>, served: Record<string, Served> = {}, chunk = 1000) {
  const log: LogEntry[] = [];
  const pulled = new Map<string, number>();
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    log.push({ url: url.href, method: req.method, range: req.headers.get('range') });
    const path = url.href.startsWith(HUB) ? decodeURIComponent(url.pathname.slice(new URL(HUB).pathname.length)) : null;
    const file = path === null ? undefined : files[path];
    if (path === null || !file) return new Response('not found', { status: 404 });
    const s = served[path] ?? {};
    let bytes = new Uint8Array(file.byteLength + (s.extra ?? 0));
    bytes.set(file);
    bytes.fill(7, file.byteLength);
    if (s.flip !== undefined) bytes[s.flip]! ^= 1;
    const headers = new Headers({ 'content-type': 'application/octet-stream', etag: '"e1"' });
    let status = 200;
    const m = !s.ignoreRange && /^bytes=(\d*)-(\d*)$/.exec(req.headers.get('range') ?? '');
    if (m) {
      const size = bytes.byteLength;
      const a = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
      const b = m[1] === '' || m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
      if (a >= size || a >= b) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      headers.set('content-range', `bytes ${a}-${b - 1}/${size}`);
      bytes = bytes.slice(a, b);
      status = 206;
    }
    const length = s.length === undefined ? bytes.byteLength : s.length;
    if (length !== null) headers.set('content-length', String(length));
    if (req.method === 'HEAD') return new Response(null, { status, headers });
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.byteLength) return c.close();
        const part = bytes.slice(at, at + chunk);
        at += part.byteLength;
        pulled.set(path, (pulled.get(path) ?? 0) + part.byteLength);
        c.enqueue(part);
      },
    });
    return new Response(body, { status, headers });
  };
  return { fetch, log, pulled };
}

/** Signs `files` with a fresh P-256 key in this runtime; returns the bundle and the policy that accepts it. */
export async function signFiles(files: Record<string, Uint8Array>, shardSize?: number): Promise<{ bundle: Uint8Array; policy: Policy }> {
  const g = await generateSigningKey('P-256');
  const res = await signModel(new MemorySource('tiny', files), keySigner(g.signingKey), shardSize ? { shardSize } : {});
  return { bundle: res.bundle, policy: { method: 'key', publicKey: g.publicKeyPem } };
}

export const bytesOf = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
