/**
 * PUT /api/v1/models/<model>/policy goes through core's parsePolicy: a policy verification would refuse is a
 * 400 at PUT and is never stored (before, an identity pattern invalid under the `u` flag was stored with 200
 * and every verdict of the model was POLICY_INVALID). Accepted policies are stored normalised.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256, toHex, utf8Encode } from '../../core/util/bytes.js';
import { api, CA_CERT, golden, KEY_POLICY, PUBLIC_KEY, putPolicy, SIGSTORE_POLICY } from './helpers.js';

const ISSUER = SIGSTORE_POLICY.issuer;
const IDENTITY = SIGSTORE_POLICY.identity;

async function put(model: string, policy: unknown): Promise<{ status: number; json: any }> {
  const r = await putPolicy(model, policy);
  return { status: r.status, json: await r.json() };
}

describe('PUT policy: invalid policies are 400 and not stored', () => {
  it('the issue-10 case: `\\-` in identityRegexp (invalid under the u flag)', async () => {
    const r = await put('bad-regexp', { method: 'sigstore', identityRegexp: 'alice\\-x@example\\.com', issuer: ISSUER });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('POLICY_INVALID');
    expect(r.json.error.message).toContain('policy.identityRegexp');
    expect(await env.VERDICTS.get('policy/bad-regexp')).toBeNull();
    expect((await api('/api/v1/models/bad-regexp/policy')).status).toBe(404);
  });

  const bad: [string, unknown, string][] = [
    ['not an object', [KEY_POLICY], 'POLICY_INVALID'],
    ['no method', { publicKey: PUBLIC_KEY }, 'INPUT_MISSING'],
    ['unknown method', { method: 'magic' }, 'POLICY_INVALID'],
    ['key policy without a key', { method: 'key' }, 'INPUT_MISSING'],
    ['a certificate as the key', { method: 'key', publicKey: CA_CERT }, 'KEY_MALFORMED'],
    // PEM-shaped but not a key: core checks the structure only, the Worker parses it fully before storing.
    ['a PEM block that is not a key', { method: 'key', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }, 'KEY_MALFORMED'],
    ['an empty chain', { method: 'certificate', certificateChain: [] }, 'INPUT_MISSING'],
    ['a key in the chain', { method: 'certificate', certificateChain: [PUBLIC_KEY] }, 'CERT_MALFORMED'],
    [
      'a certificate block that is not a certificate',
      { method: 'certificate', certificateChain: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] },
      'CERT_MALFORMED',
    ],
    ['core’s `anchors` instead of certificateChain', { method: 'certificate', anchors: [CA_CERT] }, 'POLICY_INVALID'],
    ['no issuer', { method: 'sigstore', identity: IDENTITY }, 'INPUT_MISSING'],
    ['no identity', { method: 'sigstore', issuer: ISSUER }, 'INPUT_MISSING'],
    ['a pattern escaping its anchors', { method: 'sigstore', identityRegexp: 'x)|(.*', issuer: ISSUER }, 'POLICY_INVALID'],
    ['a typo in a field name', { method: 'sigstore', identity: IDENTITY, issuer: ISSUER, identityRegex: '.*' }, 'POLICY_INVALID'],
    ['claims that are not strings', { method: 'sigstore', identity: IDENTITY, issuer: ISSUER, claims: { sourceRepositoryRef: 1 } }, 'POLICY_INVALID'],
  ];
  it.each(bad)('%s → 400 %s', async (_what, policy, code) => {
    const model = `bad-${Math.random().toString(36).slice(2)}`;
    const r = await put(model, policy);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.message).not.toMatch(/--/); // the API's field names, not CLI flags
    expect(await env.VERDICTS.get(`policy/${model}`)).toBeNull();
  });

  it('a refused PUT leaves the stored policy as it was', async () => {
    expect((await put('keeps-policy', KEY_POLICY)).status).toBe(200);
    const before = await (await api('/api/v1/models/keeps-policy/policy')).json();
    expect((await put('keeps-policy', { method: 'sigstore', identityRegexp: '(', issuer: ISSUER })).status).toBe(400);
    expect(await (await api('/api/v1/models/keeps-policy/policy')).json()).toEqual(before);
  });
});

describe('PUT policy: valid policies are stored normalised', () => {
  it('identity and pattern together are accepted (the signer must match both), as core verifies them', async () => {
    const policy = { issuer: ISSUER, identityRegexp: 'stefanb@us\\.ibm\\.com', identity: IDENTITY, method: 'sigstore' };
    const r = await put('both-identity', policy);
    expect(r.status).toBe(200);
    expect(r.json.policy).toEqual({ method: 'sigstore', identity: IDENTITY, identityRegexp: 'stefanb@us\\.ibm\\.com', issuer: ISSUER });
    expect(Object.keys(r.json.policy)).toEqual(['method', 'identity', 'identityRegexp', 'issuer']);
    // The same policy verifies the golden through the verify API.
    const v = await api('/api/v1/verify', { method: 'POST', body: JSON.stringify({ bundle: golden('v1.1.0-sigstore')['model.sig'], policy }) });
    expect(v.status).toBe(200);
    expect(((await v.json()) as any).verified).toBe(true);
  });

  it('digests of identity-only policies are what they were (stored verdict keys stay valid)', async () => {
    const r = await put('digest-stable', { issuer: ISSUER, identity: IDENTITY, method: 'sigstore', identityRegexp: null });
    expect(r.status).toBe(200);
    expect(r.json.digest).toBe(toHex(await sha256(utf8Encode(JSON.stringify({ method: 'sigstore', identity: IDENTITY, issuer: ISSUER })))));
  });

  it('a single PEM text is stored as a one-entry chain; claims are kept, sorted by name', async () => {
    const c = await put('chain-text', { method: 'certificate', certificateChain: CA_CERT });
    expect(c.status).toBe(200);
    expect(c.json.policy).toEqual({ method: 'certificate', certificateChain: [CA_CERT] });
    const s = await put('with-claims', {
      method: 'sigstore',
      identity: IDENTITY,
      issuer: ISSUER,
      claims: { sourceRepositoryRef: 'refs/tags/v1', buildTrigger: 'push' },
    });
    expect(s.status).toBe(200);
    expect(Object.keys(s.json.policy.claims)).toEqual(['buildTrigger', 'sourceRepositoryRef']);
  });
});

describe('POST /api/v1/verify reads its policy the same way', () => {
  it('an invalid pattern is a 400 before any verification', async () => {
    const r = await api('/api/v1/verify', {
      method: 'POST',
      body: JSON.stringify({ bundle: golden('v1.1.0-sigstore')['model.sig'], policy: { method: 'sigstore', identityRegexp: 'stefanb\\-x', issuer: ISSUER } }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).error.code).toBe('POLICY_INVALID');
  });
});
