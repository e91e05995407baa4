/** Serves a test stack over loopback HTTP (Node only), for the CLI, which does real fetches. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStack, type Stack } from './stack.js';

export async function serveStack(): Promise<{ stack: Stack; server: Server; close: () => Promise<void> }> {
  let stack!: Stack;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void stack.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, req.headers['content-type'] ?? '', new Uint8Array(Buffer.concat(chunks))).then((r) => {
        res.writeHead(r.status, { 'content-type': r.type });
        res.end(Buffer.from(r.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  stack = await createStack(`http://127.0.0.1:${port}`);
  return { stack, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
