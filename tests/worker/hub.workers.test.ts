/**
 * POST /api/v1/hub/verify in workerd: a Hugging Face repository verified at the edge. The Worker's outbound fetches
 * to https://huggingface.co and its CDN reach the Hub double (tests/worker/upstream-double.ts); models are signed
 * here by our signer (a fresh key) and committed through the double's /__test/hub/commit route.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { MemorySource } from '../../core/sources/index.js';
import { toBase64 } from '../../core/util/bytes.js';
import { api } from './helpers.js';

const HUB = 'https://huggingface.co';
const enc = new TextEncoder();
const files = (): Record<string, Uint8Array> => ({
  'config.json': enc.encode('{"layers":2}\n'),
  'model.safetensors': new Uint8Array(5000).map((_, i) => (i * 31) % 251),
});

beforeAll(async () => {
  (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

async function publish(repo: string, f: Record<string, Uint8Array>, opts: { token?: string; extra?: Record<string, Uint8Array> } = {}) {
  const key = await generateSigningKey();
  const { bundle } = await signModel(new MemorySource(repo.split('/')[1]!, f), keySigner(key.signingKey));
  const all = { ...f, ...opts.extra, 'model.sig': bundle };
  const r = await fetch(`${HUB}/__test/hub/commit`, {
    method: 'POST',
    body: JSON.stringify({
      repo,
      files: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, toBase64(v)])),
      ...(opts.token ? { token: opts.token } : {}),
    }),
  });
  const { commit } = (await r.json()) as { commit: string };
  return { commit, policy: { method: 'key', publicKey: key.publicKeyPem } };
}

async function verify(body: unknown): Promise<any> {
  const r = await api('/api/v1/hub/verify', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(r.status).toBe(200);
  return r.json();
}

describe('POST /api/v1/hub/verify', () => {
  it('verifies a Hub model at its commit, with the Hub claim; tampering, extras and gated repositories fail', async () => {
    const p = await publish('edge/model', files());
    const r = await verify({ model: 'edge/model', policy: p.policy });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.model).toMatchObject({ source: `hf://edge/model@${p.commit}`, revision: { requested: 'main', commit: p.commit } });
    expect(r.model.remoteClaim.status).toBe('match');

    const x = await publish('edge/extra', files(), { extra: { 'evil.py': enc.encode('import os\n') } });
    const extra = await verify({ model: 'hf://edge/extra', policy: x.policy });
    expect(extra.verified).toBe(false);
    expect(extra.errors[0]).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'evil.py' });

    const t = await publish('edge/tampered', files());
    const oid = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', files()['model.safetensors']! as BufferSource)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    await fetch(`${HUB}/__test/hub/cdn-override`, { method: 'POST', body: JSON.stringify({ oid, bytes: toBase64(new Uint8Array(5000)) }) });
    try {
      const bad = await verify({ model: 'edge/tampered', policy: t.policy });
      expect(bad.verified).toBe(false);
      expect(bad.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
    } finally {
      await fetch(`${HUB}/__test/hub/cdn-override`, { method: 'POST', body: '{}' });
    }

    const g = await publish('edge/gated', files(), { token: 'hf_x' });
    const gated = await verify({ model: 'edge/gated', policy: g.policy });
    expect(gated.verified).toBe(false);
    expect(gated.errors[0].message).toMatch(/HTTP 401.*not a verdict/);
  });

  it('malformed requests are 400s', async () => {
    for (const body of [{}, { model: '../x', policy: { method: 'key', publicKey: 'x' } }, { model: 'a/b' }]) {
      const r = await api('/api/v1/hub/verify', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
  });
});
