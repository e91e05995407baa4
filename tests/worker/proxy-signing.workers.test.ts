/**
 * Keyless signing as the Sign page does it when served by this Worker: core's OAuth and keyless functions with
 * the web app's fetch wrapper, every call to the (allow-listed) private instance relayed by the real Worker in
 * workerd to the local Sigstore test stack (real crypto, Rekor v2 + TSA), then verified with our verifier.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authorizationRequest, discover, exchangeCode, pollDeviceToken, startDeviceFlow } from '../../core/sign/keyless/oauth.js';
import { servicesFromConfig } from '../../core/sign/keyless/services.js';
import { keylessSigner } from '../../core/sign/keyless/signer.js';
import type { Fetch } from '../../core/sign/keyless/http.js';
import { signModel } from '../../core/sign/sign-model.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { detectProxy, proxiedFetch } from '../../web/proxy-fetch.js';
import { ensureHashers } from '../../worker/hashing.js';
import { BASE } from './helpers.js';

const STACK = 'https://stack.private.test';

describe('keyless signing through the signing proxy', () => {
  it('signs in, certifies, logs to Rekor v2 and timestamps via /api/v1/proxy; the bundle verifies', async () => {
    const seen: string[] = [];
    // The page's own origin is served by the Worker; nothing else may be fetched directly in this test.
    const page: Fetch = (url, init) => {
      seen.push(url);
      if (!url.startsWith(`${BASE}/`)) throw new Error(`fetched directly: ${url}`);
      return SELF.fetch(url, init);
    };
    const info = await detectProxy(page, BASE);
    expect(info?.proxy).toBe(`${BASE}/api/v1/proxy`);
    const pf = proxiedFetch(info!, page);

    // Setup and the user's sign-in at the issuer go straight to the stack (they are not the app's calls).
    const trust = (await (await fetch(`${STACK}/__test/trust`)).json()) as { trustedRoot: unknown; signingConfig: unknown };
    const services = servicesFromConfig(trust.signingConfig);
    expect(services.rekorVersion).toBe(2);

    const ep = await discover(pf, `${STACK}/oidc`);
    const req = await authorizationRequest(ep);
    const approved = (await (await fetch(`${STACK}/__test/approve?url=${encodeURIComponent(req.url)}`)).json()) as { code: string; state: string };
    const token = await exchangeCode(pf, ep, req, approved.code, approved.state);

    // The device flow too: the poller sees the issuer's 400 authorization_pending through the relay, then the token.
    const device = await startDeviceFlow(pf, ep);
    let polls = 0;
    const deviceToken = await pollDeviceToken(pf, ep, device, {
      sleep: async () => {
        if (++polls === 2) await fetch(`${STACK}/__test/approve-device?user_code=${encodeURIComponent(device.userCode)}`);
      },
    });
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(deviceToken.split('.')).toHaveLength(3);

    const signer = await keylessSigner({ identityToken: token, services, trustedRoot: trust.trustedRoot, fetch: pf });
    ensureHashers(); // workerd cannot compile wasm at runtime: the Worker's statically imported hashers
    const model = new MemorySource('m', { 'config.json': '{"layers":2}', 'weights.bin': new Uint8Array(4096).fill(7) });
    const { bundle } = await signModel(model, signer);

    const relayed = seen.filter((u) => u.startsWith(`${BASE}/api/v1/proxy?url=`)).map((u) => new URL(new URL(u).searchParams.get('url')!).pathname);
    expect(relayed.filter((p) => p !== '/oidc/token' && p !== '/oidc/device/code')[0]).toBe('/oidc/.well-known/openid-configuration');
    expect(relayed.slice(-3)).toEqual(['/fulcio/api/v2/signingCert', '/rekor2/api/v2/log/entries', '/tsa/api/v1/timestamp']);
    const log = (await (await fetch(`${STACK}/__test/log`)).json()) as string[];
    expect(log.slice(-3)).toEqual(['POST /fulcio/api/v2/signingCert', 'POST /rekor2/api/v2/log/entries', 'POST /tsa/api/v1/timestamp']);

    const b = JSON.parse(new TextDecoder().decode(bundle));
    expect(b.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    const policy = { method: 'sigstore', identity: signer.identity, issuer: signer.issuer } as const;
    const report = await verifyModel(model, bundle, policy, { trustedRoot: trust.trustedRoot });
    expect(report.errors).toEqual([]);
    expect(report.verified).toBe(true);
    const wrong = await verifyModel(model, bundle, { ...policy, identity: 'mallory@example.com' }, { trustedRoot: trust.trustedRoot });
    expect(wrong.verified).toBe(false);
  });
});
