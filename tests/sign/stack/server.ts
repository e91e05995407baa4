/**
 * Serves a test stack over loopback HTTP (Node only), for the CLI and the browser Sign page, which do real
 * fetches. CORS as the public services answer it (rs/cors Default: any origin, GET/POST/HEAD, simple headers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStack, type Stack } from './stack.js';

export async function serveStack(): Promise<{ stack: Stack; server: Server; close: () => Promise<void> }> {
  let stack!: Stack;
  const cors = { 'access-control-allow-origin': '*' };
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, HEAD',
        'access-control-allow-headers': 'accept, content-type, x-requested-with',
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void stack
        .handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, req.headers['content-type'] ?? '', new Uint8Array(Buffer.concat(chunks)))
        .then((r) => {
          res.writeHead(r.status, { ...cors, 'content-type': r.type });
          res.end(Buffer.from(r.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  stack = await createStack(`http://127.0.0.1:${port}`);
  return { stack, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
