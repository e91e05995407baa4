/**
 * The Internet as the worker tests see it (miniflare `outboundService`, runs in Node): every outbound fetch from
 * the Worker lands here, so nothing reaches the network. It stands in for the Sigstore services the signing
 * proxy relays to, echoing exactly what arrived so the tests can check what the proxy forwarded.
 * Query knobs: `redirect=<url>` (302 there), `status=<n>`, `size=<n>` (n bytes; `stream=1` without a length).
 */
import { Response } from 'miniflare';

type Req = { method: string; url: string; headers: Iterable<[string, string]>; text(): Promise<string> };

export async function upstreamDouble(req: Req): Promise<Response> {
  const url = new URL(req.url);
  const q = url.searchParams;
  const redirect = q.get('redirect');
  if (redirect) return new Response(null, { status: Number(q.get('status') ?? 302), headers: { location: redirect } });
  const size = q.get('size');
  if (size) {
    const bytes = new Uint8Array(Number(size)).fill(0x61);
    const body = q.get('stream')
      ? new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.subarray(i, i + 65536));
            c.close();
          },
        })
      : bytes;
    return new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
  }
  const echo = { method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() };
  return new Response(JSON.stringify(echo), {
    status: Number(q.get('status') ?? 200),
    headers: { 'content-type': 'application/json', 'set-cookie': 'upstream_session=secret; Path=/; HttpOnly', 'x-upstream-internal': 'leak' },
  });
}
