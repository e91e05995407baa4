/**
 * Same-origin relay for the Sign page: `GET|POST /api/v1/proxy?url=<upstream>` forwards to an allow-listed
 * Sigstore endpoint that sends no CORS headers (OAuth token/device, Rekor v2). It sees what passes through —
 * identity tokens included — so it is offered only to the app this Worker serves: no CORS grant, cross-site
 * requests refused. Only content-type and accept go up; only content-type comes back (no cookies either way).
 */
import type { Env } from '../env.js';
import { HttpError, readBody, type ApiErrorCode } from '../http.js';
import { allowList, refusal, type AllowEntry } from '../../core/sign/keyless/index.js';

/** Largest request relayed: a Rekor v2 DSSE entry carries the whole statement (one digest per file or shard). */
export const MAX_REQUEST = 2 << 20;
/** Largest upstream answer relayed (core refuses more than 1 MiB from a Sigstore service anyway). */
export const MAX_RESPONSE = 1 << 20;
const TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 3;

/** Security headers on everything the relay answers: the body is upstream data, never a page of this origin. */
const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
};

/** Errors without the API's `access-control-allow-origin: *`: nothing here is for other origins. */
export function proxyError(status: number, code: ApiErrorCode, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'x-error-code': code },
  });
}

/** `GET /api/v1/proxy/info`: what this Worker relays, so the app routes exactly those calls through it. */
export function proxyInfo(env: Env): Response {
  const allow: AllowEntry[] = allowList(env.SIGNING_PROXY_ALLOW);
  return new Response(JSON.stringify({ proxy: `${env.BASE_PATH ?? ''}/api/v1/proxy`, allow, maxRequestBytes: MAX_REQUEST, maxResponseBytes: MAX_RESPONSE }), {
    headers: { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  });
}

/** Browsers label every request; a cross-site or cross-origin caller is refused even though it could not read the answer. */
function sameOrigin(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.get('origin');
  return origin === null || origin === new URL(req.url).origin;
}

export async function relay(req: Request, env: Env): Promise<Response> {
  try {
    return await relayChecked(req, env);
  } catch (e) {
    if (e instanceof HttpError) return proxyError(e.status, e.code, e.message);
    throw e;
  }
}

async function relayChecked(req: Request, env: Env): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'POST') return proxyError(405, 'METHOD_NOT_ALLOWED', 'The signing proxy relays GET and POST only');
  if (!sameOrigin(req)) return proxyError(403, 'PROXY_FORBIDDEN', 'The signing proxy serves only the app on this origin');
  const params = new URL(req.url).searchParams;
  const targets = params.getAll('url');
  if (targets.length !== 1 || !targets[0]) return proxyError(400, 'BAD_REQUEST', 'Give exactly one upstream as ?url=<encoded URL>');
  const list = allowList(env.SIGNING_PROXY_ALLOW);
  const why = refusal(targets[0], list);
  if (why) return proxyError(403, 'PROXY_FORBIDDEN', `Not relayed: ${why}`);

  const body = req.method === 'POST' ? await readBody(req, MAX_REQUEST) : undefined;
  const headers = new Headers();
  for (const name of ['content-type', 'accept']) {
    const v = req.headers.get(name);
    if (v !== null) headers.set(name, v);
  }

  let url = new URL(targets[0]).href.replace(/#.*$/, '');
  let method = req.method;
  let sendBody = body;
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(sendBody ? { body: sendBody as BodyInit } : {}), redirect: 'manual', signal });
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError' || signal.aborted;
      return timedOut
        ? proxyError(504, 'UPSTREAM_TIMEOUT', `${new URL(url).origin} did not answer within ${TIMEOUT_MS / 1000} s`)
        : proxyError(502, 'UPSTREAM_UNREACHABLE', `${new URL(url).origin} could not be reached`);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
      await res.body?.cancel();
      let next: string;
      try {
        next = new URL(res.headers.get('location')!, url).href;
      } catch {
        return proxyError(502, 'UPSTREAM_REDIRECT', `${new URL(url).origin} redirected to an unreadable location`);
      }
      const nextWhy = refusal(next, list);
      if (nextWhy) return proxyError(502, 'UPSTREAM_REDIRECT', `${new URL(url).origin} redirected somewhere not relayed (${nextWhy})`);
      if (hop + 1 >= MAX_REDIRECTS) return proxyError(502, 'UPSTREAM_REDIRECT', `More than ${MAX_REDIRECTS} redirects`);
      // Fetch's rules: 303 (and 301/302 after a POST) continue as a GET without the body; 307/308 keep both.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        sendBody = undefined;
        headers.delete('content-type');
      }
      url = next;
      continue;
    }
    return answer(res, new URL(url).origin);
  }
}

/** The upstream status and body (capped), with its content-type and nothing else: Set-Cookie never reaches the page. */
async function answer(res: Response, origin: string): Promise<Response> {
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) > MAX_RESPONSE) {
    await res.body?.cancel();
    return proxyError(502, 'UPSTREAM_TOO_LARGE', `${origin} sent more than ${MAX_RESPONSE} bytes`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return proxyError(502, 'UPSTREAM_UNREACHABLE', `${origin} broke off its answer`);
      }
      if (chunk.done) break;
      n += chunk.value.byteLength;
      if (n > MAX_RESPONSE) {
        await reader.cancel().catch(() => {});
        return proxyError(502, 'UPSTREAM_TOO_LARGE', `${origin} sent more than ${MAX_RESPONSE} bytes`);
      }
      parts.push(chunk.value);
    }
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  if (res.status >= 500) {
    const text = new TextDecoder().decode(out.subarray(0, 300)).replace(/[^\x20-\x7e]/g, '?');
    return proxyError(502, 'UPSTREAM_FAILED', `${origin} failed (HTTP ${res.status}): ${text}`);
  }
  const headers: Record<string, string> = { ...BASE_HEADERS, 'x-proxied-from': origin };
  const type = res.headers.get('content-type');
  if (type) headers['content-type'] = type;
  // 204/205/304 carry no body; other statuses pass through so OAuth's 400 {error:"authorization_pending"} reaches the poller.
  const empty = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(empty ? null : out, { status: res.status, headers });
}
