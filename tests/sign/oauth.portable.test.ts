/**
 * Interactive token acquisition (core/sign/keyless/oauth.ts) against the test stack's Dex-like issuer, in Node,
 * Chromium and workerd: PKCE code flow with an out-of-band code (the browser Sign page's path) and the device
 * flow; the token then signs keylessly and the bundle verifies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationRequest,
  discover,
  exchangeCode,
  keylessSigner,
  pollDeviceToken,
  servicesFromConfig,
  startDeviceFlow,
} from '../../core/sign/keyless/index.js';
import { buildModelPayload, signPayload } from '../../core/sign/sign-model.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { verifySignature } from '../../core/verify/verify-model.js';
import { corsChecked } from './stack/cors.js';
import { createStack } from './stack/stack.js';

beforeAll(async () => {
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('OIDC sign-in for keyless signing', () => {
  it('PKCE + out-of-band code → ID token → keyless bundle that verifies', async () => {
    const stack = await createStack();
    const f = corsChecked(stack.fetch); // requests a browser page could make (no Authorization header)
    expect(() => f(`${stack.base}/fulcio/api/v2/signingCert`, { method: 'POST', headers: { authorization: 'Bearer t' } })).toThrow(/authorization/);
    const ep = await discover(f, stack.oidc.url);
    expect(ep.token).toBe(`${stack.oidc.url}/token`);
    const req = await authorizationRequest(ep);
    const q = new URL(req.url).searchParams;
    expect([q.get('client_id'), q.get('code_challenge_method'), q.get('redirect_uri'), q.get('scope')]).toEqual([
      'sigstore',
      'S256',
      'urn:ietf:wg:oauth:2.0:oob',
      'openid email',
    ]);
    const { code, state } = stack.oidc.approve(req.url);
    const token = await exchangeCode(f, ep, req, code, state);
    const signer = await keylessSigner({ identityToken: token, services: servicesFromConfig(stack.signingConfig), trustedRoot: stack.trustedRoot, fetch: f });
    const bundle = await signPayload((await buildModelPayload(new MemorySource('m', { a: 'a' }))).payload, signer);
    await expect(
      verifySignature(bundle, { method: 'sigstore', identity: 'signer@example.com', issuer: stack.oidc.url }, { trustedRoot: stack.trustedRoot }),
    ).resolves.toBeTruthy();
  });

  it('a wrong state, a wrong PKCE verifier and a replayed code are refused', async () => {
    const stack = await createStack();
    const ep = await discover(stack.fetch, stack.oidc.url);
    const req = await authorizationRequest(ep);
    const a = stack.oidc.approve(req.url);
    await expect(exchangeCode(stack.fetch, ep, req, a.code, 'forged-state')).rejects.toThrow(/state does not match/);
    await expect(exchangeCode(stack.fetch, ep, { ...req, verifier: 'x'.repeat(43) }, a.code, a.state)).rejects.toThrow(/token exchange failed/);
    const b = stack.oidc.approve(req.url);
    await exchangeCode(stack.fetch, ep, req, b.code, b.state);
    await expect(exchangeCode(stack.fetch, ep, req, b.code, b.state)).rejects.toThrow(/token exchange failed/);
  });

  it('device flow: pending until the user approves, then a token', async () => {
    const stack = await createStack();
    const ep = await discover(stack.fetch, stack.oidc.url);
    const d = await startDeviceFlow(stack.fetch, ep);
    let waits = 0;
    const token = await pollDeviceToken(stack.fetch, ep, d, {
      sleep: async () => {
        if (++waits === 2) stack.oidc.approveDevice(d.userCode); // the user signs in while we poll
      },
    });
    expect(waits).toBe(2);
    expect(token.split('.')).toHaveLength(3);
  });
});
