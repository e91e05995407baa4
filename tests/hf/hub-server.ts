/**
 * The Hub double (tests/helpers/hub-double.ts) behind two real loopback servers: the Hub origin and a "CDN" origin
 * on another port, so Node's own fetch follows the 302s, keeps Range, and drops Authorization across origins.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubDouble } from '../helpers/hub-double.js';

export interface ServedHub {
  hub: HubDouble;
  /** HF_ENDPOINT for the CLI and HfSource. */
  endpoint: string;
  /** Drop the connection after this many body bytes of the next CDN answers (a server that breaks off). */
  dropAfter?: number;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function serveHub(hub = new HubDouble()): Promise<ServedHub> {
  const served: Partial<ServedHub> = { hub };
  const handler = (which: () => string) => (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new Request(which() + (req.url ?? '/'), { method: req.method ?? 'GET', headers, redirect: 'manual' });
    hub
      .handle(request)
      .then(async (r) => {
        res.writeHead(r.status, Object.fromEntries(r.headers));
        const body = r.body ? new Uint8Array(await r.arrayBuffer()) : new Uint8Array(0);
        const drop = served.dropAfter;
        if (drop !== undefined && which() === hub.cdnOrigin && body.byteLength > drop) {
          res.write(body.subarray(0, drop));
          res.socket?.destroy();
          return;
        }
        res.end(body);
      })
      .catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
  };
  const a = await listen(handler(() => hub.hubOrigin));
  const b = await listen(handler(() => hub.cdnOrigin));
  hub.hubOrigin = a.origin;
  hub.cdnOrigin = b.origin;
  served.endpoint = a.origin;
  served.close = async () => {
    for (const s of [a.server, b.server]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  return served as ServedHub;
}
