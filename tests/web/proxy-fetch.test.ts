/**
 * The Sign page's fetch wrapper: which Sigstore calls go through the operator's same-origin relay, driven
 * through core's real OAuth functions; and the detection of the relay from `/api/v1/proxy/info`.
 */
import { describe, expect, it } from 'vitest';
import { discover, exchangeCode, authorizationRequest } from '../../core/sign/keyless/oauth.js';
import type { Fetch } from '../../core/sign/keyless/http.js';
import { BUILT_IN } from '../../core/sign/keyless/allow.js';
import { detectProxy, proxiedFetch, relays, type ProxyInfo } from '../../web/proxy-fetch.js';

const BASE = 'https://app.example';
const INFO: ProxyInfo = { proxy: `${BASE}/api/v1/proxy`, allow: [...BUILT_IN] };

/** Records every request and answers like the relay would: JSON from the (proxied or direct) upstream. */
function recorder(answer: (url: string, init: RequestInit) => unknown): { f: Fetch; calls: { url: string; init: RequestInit }[] } {
  const calls: { url: string; init: RequestInit }[] = [];
  const f: Fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(answer(url, init)), { headers: { 'content-type': 'application/json' } });
  };
  return { f, calls };
}

const upstreamOf = (url: string) => (url.startsWith(INFO.proxy) ? new URL(url).searchParams.get('url')! : url);

describe('proxiedFetch', () => {
  it('routes OIDC discovery and the token exchange through the relay, keeping method, headers and body', async () => {
    const { f, calls } = recorder((url) =>
      upstreamOf(url).endsWith('/openid-configuration')
        ? {
            authorization_endpoint: 'https://oauth2.sigstore.dev/auth/auth',
            token_endpoint: 'https://oauth2.sigstore.dev/auth/token',
            device_authorization_endpoint: 'https://oauth2.sigstore.dev/auth/device/code',
          }
        : { id_token: 'header.payload.sig' },
    );
    const pf = proxiedFetch(INFO, f);
    const ep = await discover(pf, 'https://oauth2.sigstore.dev/auth');
    const req = await authorizationRequest(ep);
    expect(await exchangeCode(pf, ep, req, 'the-code')).toBe('header.payload.sig');
    expect(calls.map((c) => c.url)).toEqual([
      `${BASE}/api/v1/proxy?url=${encodeURIComponent('https://oauth2.sigstore.dev/auth/.well-known/openid-configuration')}`,
      `${BASE}/api/v1/proxy?url=${encodeURIComponent('https://oauth2.sigstore.dev/auth/token')}`,
    ]);
    const token = calls[1]!.init;
    expect(token.method).toBe('POST');
    expect(new Headers(token.headers).get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(String(token.body));
    expect([form.get('grant_type'), form.get('code'), form.get('code_verifier')]).toEqual(['authorization_code', 'the-code', req.verifier]);
  });

  it('calls everything off the allow-list directly (Fulcio, TSA, Rekor v1, other issuers)', async () => {
    const { f, calls } = recorder(() => ({}));
    const pf = proxiedFetch(INFO, f);
    const direct = [
      'https://fulcio.sigstore.dev/api/v2/signingCert',
      'https://timestamp.sigstore.dev/api/v1/timestamp',
      'https://rekor.sigstore.dev/api/v1/log/entries',
      'https://oauth2.sigstore.dev/auth/userinfo',
      'http://oauth2.sigstore.dev/auth/token',
    ];
    for (const u of direct) await pf(u, { method: 'POST', body: '{}' });
    await pf('https://log2025-1.rekor.sigstore.dev/api/v2/log/entries', { method: 'POST', body: '{"x":1}' });
    expect(calls.map((c) => c.url)).toEqual([
      ...direct,
      `${BASE}/api/v1/proxy?url=${encodeURIComponent('https://log2025-1.rekor.sigstore.dev/api/v2/log/entries')}`,
    ]);
    expect(calls.at(-1)!.init.body).toBe('{"x":1}');
  });
});

describe('detectProxy', () => {
  const serve =
    (status: number, body: unknown, type = 'application/json'): Fetch =>
    async () =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });

  it("reads the Worker's allow-list and makes the relay path absolute on this origin", async () => {
    const info = await detectProxy(
      serve(200, {
        proxy: '/api/v1/proxy',
        allow: [
          { origin: 'https://oauth2.sigstore.dev', paths: ['/auth/token'] },
          { origin: 'https://x.test', paths: null },
        ],
      }),
      BASE,
    );
    expect(info).toEqual({
      proxy: `${BASE}/api/v1/proxy`,
      allow: [
        { origin: 'https://oauth2.sigstore.dev', paths: ['/auth/token'] },
        { origin: 'https://x.test', paths: null },
      ],
    });
    expect(relays(info, ['https://oauth2.sigstore.dev/auth', undefined])).toBe(true);
    expect(relays(info, ['https://rekor.sigstore.dev', 'not a url'])).toBe(false);
    expect(relays(null, ['https://oauth2.sigstore.dev/auth'])).toBe(false);
  });

  it('finds no relay on static hosting, on errors and on answers that are not ours', async () => {
    const cases: Fetch[] = [
      serve(404, '<!doctype html>', 'text/html'),
      serve(200, '<!doctype html><title>SPA fallback</title>', 'text/html'),
      serve(200, 'not json'),
      serve(200, { proxy: 'https://elsewhere.example/relay', allow: [] }),
      serve(200, { proxy: '//elsewhere.example/relay', allow: [] }),
      serve(200, { proxy: '/api/v1/proxy', allow: [{ origin: 1 }] }),
      serve(200, { proxy: '/api/v1/proxy' }),
      async () => {
        throw new TypeError('Failed to fetch');
      },
    ];
    for (const f of cases) expect(await detectProxy(f, BASE)).toBeNull();
  });
});
