/**
 * The Internet as the worker tests see it (miniflare `outboundService`, runs in Node): every outbound fetch from
 * the Worker lands here, so nothing reaches the network. It stands in for the Sigstore services the signing
 * proxy relays to, echoing exactly what arrived so the tests can check what the proxy forwarded.
 * Query knobs: `redirect=<url>` (302 there), `status=<n>`, `size=<n>` (n bytes; `stream=1` without a length).
 * `https://stack.private.test` is the local Sigstore test stack (tests/sign/stack: real crypto) with four
 * `/__test/` routes standing in for the user and the test's setup: the trust config, sign-in and device approval, the request log.
 */
import { Response } from 'miniflare';
import { createStack, type Stack } from '../sign/stack/stack.js';
import { TufTestRepo } from '../helpers/tuf-repo.js';
import { HubDouble } from '../helpers/hub-double.js';

/**
 * `https://huggingface.co` (the Worker's default Hub) and its CDN: the Hub double (tests/helpers/hub-double.ts).
 * POST `/__test/hub/commit` {repo, files: {path: base64}, token?, branch?} commits a model (answers {commit}).
 */
const hub = new HubDouble();
hub.hubOrigin = 'https://huggingface.co';
hub.cdnOrigin = 'https://cdn-lfs.hf.co';

async function hubAnswer(req: Req, url: URL): Promise<Response> {
  if (url.pathname === '/__test/hub/commit') {
    const o = JSON.parse(await req.text()) as { repo: string; files: Record<string, string>; token?: string; branch?: string };
    const files = Object.fromEntries(Object.entries(o.files).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
    const commit = await hub.commit(o.repo, files, { ...(o.token ? { token: o.token } : {}), ...(o.branch ? { branch: o.branch } : {}) });
    return new Response(JSON.stringify({ commit }), { headers: { 'content-type': 'application/json' } });
  }
  if (url.pathname === '/__test/hub/cdn-override') {
    const o = JSON.parse(await req.text()) as { oid?: string; bytes?: string };
    if (o.oid && o.bytes) hub.cdnOverride.set(o.oid, new Uint8Array(Buffer.from(o.bytes, 'base64')));
    else hub.cdnOverride.clear();
    return new Response('{}', { headers: { 'content-type': 'application/json' } });
  }
  const headers = new Headers();
  for (const [k, v] of req.headers) headers.set(k, v);
  const method = req.method;
  const r = await hub.handle(new globalThis.Request(req.url, { method, headers }));
  return new Response(r.body ? new Uint8Array(await r.arrayBuffer()) : null, { status: r.status, headers: Object.fromEntries(r.headers) });
}

export const STACK_ORIGIN = 'https://stack.private.test';
let stack: Promise<Stack> | undefined;

async function stackAnswer(req: Req, url: URL): Promise<Response> {
  const s = await (stack ??= createStack(STACK_ORIGIN));
  const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });
  if (url.pathname === '/__test/trust') return json({ trustedRoot: s.trustedRoot, signingConfig: s.signingConfigV2 });
  if (url.pathname === '/__test/approve') return json(s.oidc.approve(url.searchParams.get('url') ?? ''));
  if (url.pathname === '/__test/approve-device') {
    s.oidc.approveDevice(url.searchParams.get('user_code') ?? '');
    return json({ approved: true });
  }
  if (url.pathname === '/__test/log') return json(s.log);
  const body = new Uint8Array(await req.arrayBuffer());
  const headers = new Map(req.headers);
  const r = await s.handle(req.method, url.pathname, headers.get('content-type') ?? '', body);
  // Like the public services, it tries to set a cookie: the relay must not pass it on.
  return new Response(r.body, { status: r.status, headers: { 'content-type': r.type, 'set-cookie': 'stack=1; Path=/' } });
}

/**
 * `https://tuf.private.test`: a TUF repository with real Ed25519 signatures (tests/helpers/tuf-repo.ts) for the
 * trust-root Cron Trigger. `/__test/tuf/reset` starts a new one (answers its root.json v1), POST
 * `/__test/tuf/publish` {trustedRoot, timestampExpires?} publishes a new targets/snapshot/timestamp version.
 */
export const TUF_ORIGIN = 'https://tuf.private.test';
let tuf = new TufTestRepo();

async function tufAnswer(req: Req, url: URL): Promise<Response> {
  if (url.pathname === '/__test/tuf/reset') {
    tuf = new TufTestRepo();
    return new Response(tuf.root(1), { headers: { 'content-type': 'application/json' } });
  }
  if (url.pathname === '/__test/tuf/publish') {
    const o = JSON.parse(await req.text()) as { trustedRoot: string; timestampExpires?: string };
    tuf.publish({ 'trusted_root.json': o.trustedRoot }, o.timestampExpires ? { expires: { timestamp: o.timestampExpires } } : {});
    return new Response(JSON.stringify({ version: tuf.version }), { headers: { 'content-type': 'application/json' } });
  }
  tuf.requests.push(url.pathname);
  const body = tuf.files.get(url.pathname);
  return body ? new Response(body, { headers: { 'content-type': 'application/json' } }) : new Response('not found', { status: 404 });
}

type Req = { method: string; url: string; headers: Iterable<[string, string]>; text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> };

export async function upstreamDouble(req: Req): Promise<Response> {
  const url = new URL(req.url);
  if (url.origin === STACK_ORIGIN) return stackAnswer(req, url);
  if (url.origin === TUF_ORIGIN) return tufAnswer(req, url);
  if (url.origin === hub.hubOrigin || url.origin === hub.cdnOrigin) return hubAnswer(req, url);
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
  if (q.get('status') === '204' || q.get('status') === '205') return new Response(null, { status: Number(q.get('status')), headers: { 'set-cookie': 'a=b' } });
  const echo = { method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() };
  return new Response(JSON.stringify(echo), {
    status: Number(q.get('status') ?? 200),
    headers: { 'content-type': 'application/json', 'set-cookie': 'upstream_session=secret; Path=/; HttpOnly', 'x-upstream-internal': 'leak' },
  });
}
