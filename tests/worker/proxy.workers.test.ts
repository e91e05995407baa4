/**
 * The signing proxy in workerd: `/api/v1/proxy?url=` relays to allow-listed Sigstore endpoints only.
 * Upstreams are the Node-side double of tests/worker/upstream-double.ts (miniflare outboundService): it echoes
 * what it received, so these tests see exactly what the proxy forwarded.
 */
import { describe, expect, it } from 'vitest';
import { api, BASE } from './helpers.js';

const TOKEN = 'https://oauth2.sigstore.dev/auth/token';
const REKOR_V2 = 'https://log2025-1.rekor.sigstore.dev/api/v2/log/entries';
const PRIVATE = 'https://sigstore.private.test';

const proxy = (target: string, init: RequestInit = {}) => api(`/api/v1/proxy?url=${encodeURIComponent(target)}`, init);

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function refused(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe('signing proxy: relaying', () => {
  it('lists what it relays at /api/v1/proxy/info (built-ins plus SIGNING_PROXY_ALLOW)', async () => {
    const res = await api('/api/v1/proxy/info');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const info = (await res.json()) as { proxy: string; allow: { origin: string; paths: string[] | null }[] };
    expect(info.proxy).toBe('/api/v1/proxy');
    const sigstore = info.allow.find((e) => e.origin === 'https://oauth2.sigstore.dev')!;
    expect(sigstore.paths).toEqual(['/auth/.well-known/openid-configuration', '/auth/token', '/auth/device/code']);
    expect(info.allow.find((e) => e.origin === 'https://log2025-1.rekor.sigstore.dev')!.paths).toEqual(['/api/v2/log/entries']);
    expect(info.allow.find((e) => e.origin === PRIVATE)!.paths).toBeNull();
  });

  it('forwards an OAuth token exchange: method and body as sent, only content-type and accept, no cookies back', async () => {
    const form = 'grant_type=authorization_code&code=abc&code_verifier=xyz&client_id=sigstore&client_secret=';
    const res = await proxy(TOKEN, {
      method: 'POST',
      body: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        cookie: 'app_session=mine',
        authorization: 'Bearer browser-secret',
        'x-forwarded-for': '10.0.0.1',
        'x-custom': 'nope',
        origin: BASE,
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-upstream-internal')).toBeNull();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/json');
    const echo = (await res.json()) as Echo;
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe(TOKEN);
    expect(echo.body).toBe(form);
    expect(echo.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(echo.headers.accept).toBe('application/json');
    for (const h of ['cookie', 'authorization', 'x-custom', 'origin']) expect(echo.headers[h]).toBeUndefined();
    expect(echo.headers['x-forwarded-for']).not.toBe('10.0.0.1');
  });

  it('forwards OIDC discovery as a GET with no body, and a Rekor v2 entry as JSON', async () => {
    const d = await proxy('https://oauth2.sigstore.dev/auth/.well-known/openid-configuration');
    expect(d.status).toBe(200);
    const de = (await d.json()) as Echo;
    expect([de.method, de.body]).toEqual(['GET', '']);

    const entry = JSON.stringify({ dsseRequestV002: { envelope: { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [] } } });
    const r = await proxy(REKOR_V2, { method: 'POST', body: entry, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    const re = (await r.json()) as Echo;
    expect([re.method, re.url, re.body]).toEqual(['POST', REKOR_V2, entry]);
  });

  it('passes OAuth 4xx answers through (the device poller needs authorization_pending)', async () => {
    const res = await proxy(`${PRIVATE}/auth/token?status=400`, {
      method: 'POST',
      body: 'grant_type=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Echo).body).toBe('grant_type=x');
  });

  it('relays bodiless answers (204, 205) without a body or cookie', async () => {
    for (const status of [204, 205]) {
      const res = await proxy(`${PRIVATE}/x?status=${status}`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(status);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toBe('');
    }
  });

  it('relays any path of an operator-listed origin (SIGNING_PROXY_ALLOW)', async () => {
    const res = await proxy(`${PRIVATE}/api/v2/log/entries`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).url).toBe(`${PRIVATE}/api/v2/log/entries`);
  });

  it('follows a redirect within the allow-list (307 keeps method and body)', async () => {
    const res = await proxy(`${PRIVATE}/a?status=307&redirect=${encodeURIComponent(`${PRIVATE}/b`)}`, {
      method: 'POST',
      body: 'kept',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect([echo.method, echo.url, echo.body]).toEqual(['POST', `${PRIVATE}/b`, 'kept']);
  });
});

describe('signing proxy: refusals', () => {
  it('refuses upstreams off the allow-list with 403', async () => {
    for (const target of [
      'https://evil.example/auth/token',
      'https://oauth2.sigstore.dev/auth/userinfo',
      'https://oauth2.sigstore.dev/auth/token/extra',
      'https://fulcio.sigstore.dev/api/v2/signingCert',
      'https://log2025-1.rekor.sigstore.dev/api/v1/log/entries',
      'https://oauth2.sigstore.dev:8443/auth/token',
      'https://sigstore.private.test.evil.example/x',
    ]) {
      await refused(await proxy(target, { method: 'POST', body: 'x' }), 403, 'PROXY_FORBIDDEN');
    }
  });

  it('refuses a redirect to an origin off the allow-list (never follows it)', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await proxy(`${PRIVATE}/r?status=${status}&redirect=${encodeURIComponent('https://evil.example/steal')}`, {
        method: 'POST',
        body: 'code=secret',
      });
      await refused(res, 502, 'UPSTREAM_REDIRECT');
    }
    await refused(await proxy(`${PRIVATE}/r?redirect=${encodeURIComponent('http://127.0.0.1/')}`), 502, 'UPSTREAM_REDIRECT');
  });

  it('refuses an oversized request with 413 and an oversized answer with 502', async () => {
    const big = new Uint8Array((2 << 20) + 1).fill(0x7b);
    await refused(await proxy(TOKEN, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
    const ok = await proxy(`${PRIVATE}/x?size=${1 << 20}`);
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBe(1 << 20);
    await refused(await proxy(`${PRIVATE}/x?size=${(1 << 20) + 1}`), 502, 'UPSTREAM_TOO_LARGE');
    await refused(await proxy(`${PRIVATE}/x?stream=1&size=${(1 << 20) + 1}`), 502, 'UPSTREAM_TOO_LARGE');
  });

  it('turns an upstream 5xx into a typed 502', async () => {
    await refused(await proxy(`${PRIVATE}/x?status=503`), 502, 'UPSTREAM_FAILED');
  });

  it('answers hostile url values with 4xx, never 5xx', async () => {
    const hostile = [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:,hello',
      'http://127.0.0.1/',
      'http://oauth2.sigstore.dev/auth/token',
      'https://127.0.0.1/auth/token',
      'https://[::1]/auth/token',
      'https://user:pass@oauth2.sigstore.dev/auth/token',
      'https://oauth2.sigstore.dev@evil.example/auth/token',
      'https://oauth2.sigstore.dev/auth/token%2F..%2F..%2Fadmin',
      'https://oauth2.sigstore.dev/auth/%2e%2e/%2e%2e/admin',
      'https://sigstore.private.test/a%2f..%2f..%2fb',
      'https://sigstore.private.test/a%00b',
      'https:\\\\evil.example\\auth\\token',
      '//evil.example/auth/token',
      '/api/v1/models',
      'https://',
      'https://%zz/',
      'https://xn--oauth2-sigstore.dev/auth/token',
      `https://evil.example/${'a'.repeat(8000)}`,
      '',
    ];
    for (const target of hostile) {
      const res = await proxy(target);
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code, target).toMatch(/^(PROXY_FORBIDDEN|BAD_REQUEST)$/);
    }
    await refused(await api('/api/v1/proxy'), 400, 'BAD_REQUEST');
    await refused(await api(`/api/v1/proxy?url=${encodeURIComponent(TOKEN)}&url=${encodeURIComponent('https://evil.example/')}`), 400, 'BAD_REQUEST');
  });

  it('serves only its own origin: cross-site callers, preflights and other methods are refused', async () => {
    await refused(await proxy(TOKEN, { method: 'POST', body: 'a=b', headers: { origin: 'https://evil.example' } }), 403, 'PROXY_FORBIDDEN');
    await refused(await proxy(TOKEN, { method: 'POST', body: 'a=b', headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'PROXY_FORBIDDEN');
    await refused(await proxy(TOKEN, { method: 'POST', body: 'a=b', headers: { 'sec-fetch-site': 'same-site' } }), 403, 'PROXY_FORBIDDEN');
    const same = await proxy(TOKEN, {
      method: 'POST',
      body: 'a=b',
      headers: { origin: BASE, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(same.status).toBe(200);
    await same.arrayBuffer();
    const pre = await proxy(TOKEN, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    await refused(pre, 405, 'METHOD_NOT_ALLOWED');
    for (const method of ['PUT', 'DELETE', 'PATCH']) await refused(await proxy(TOKEN, { method, body: 'x' }), 405, 'METHOD_NOT_ALLOWED');
    await refused(await api('/api/v1/proxy/info', { method: 'POST', body: 'x' }), 405, 'METHOD_NOT_ALLOWED');
  });
});
