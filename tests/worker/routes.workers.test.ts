/** The Worker's other routes in workerd: app/status page, CORS preflight, model listing, policy reads, admin switch. */
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import worker from '../../worker/index.js';
import { api, BASE, KEY_POLICY, putPolicy } from './helpers.js';

it('serves the web app at / (assets binding)', async () => {
  const r = await api('/');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/html/);
});

it('falls back to the status page at / when the app is not built', async () => {
  const r = await worker.fetch(new Request(`${BASE}/`), { ...env, ASSETS: undefined });
  expect(r.status).toBe(200);
  const html = await r.text();
  expect(html).toContain('model-verify at the edge');
  expect(html).toContain('/api/v1/models');
  const missing = await worker.fetch(new Request(`${BASE}/nothing-here`), { ...env, ASSETS: undefined });
  expect(missing.status).toBe(404);
});

it('answers CORS preflights for the API and the gate', async () => {
  for (const p of ['/api/v1/verify', '/models/demo/x.bin']) {
    const r = await api(p, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('POST');
  }
});

it('lists models with a policy and serves policies publicly', async () => {
  expect((await putPolicy('listed-a', KEY_POLICY)).status).toBe(200);
  expect((await putPolicy('listed-b', KEY_POLICY)).status).toBe(200);
  const { models } = (await (await api('/api/v1/models')).json()) as { models: string[] };
  expect(models).toEqual(expect.arrayContaining(['listed-a', 'listed-b']));
  const p = (await (await api('/api/v1/models/listed-a/policy')).json()) as { policy: unknown; digest: string };
  expect(p.policy).toEqual(KEY_POLICY);
  expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
  const none = await api('/api/v1/models/never-published/policy');
  expect(none.status).toBe(404);
  expect(((await none.json()) as any).error.code).toBe('NO_POLICY');
  expect((await api('/api/v1/models/never-published')).status).toBe(404);
});

it('refuses every write when no ADMIN_TOKEN is configured', async () => {
  const r = await worker.fetch(
    new Request(`${BASE}/api/v1/models/x/policy`, { method: 'PUT', body: JSON.stringify(KEY_POLICY), headers: { authorization: 'Bearer anything' } }),
    { ...env, ADMIN_TOKEN: undefined },
  );
  expect(r.status).toBe(403);
  expect(((await r.json()) as any).error.code).toBe('ADMIN_DISABLED');
  expect(await env.VERDICTS.get('policy/x')).toBeNull();
});
