/**
 * The trust-root Cron Trigger in workerd (worker/index.ts scheduled → worker/trust-cron.ts): it refreshes
 * trusted_root.json through TUF from the repository the upstream double serves (tests/worker/upstream-double.ts,
 * real Ed25519 signatures) into KV; the verify API and the model state use it and re-verify when it rotates; a
 * repository that fails verification leaves the stored root as it was.
 */
import { env } from 'cloudflare:test';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import worker from '../../worker/index.js';
import { TRUST_KEY, type StoredTrustRoot } from '../../worker/trust-cron.js';
import { api, golden, publish, SIGSTORE_POLICY } from './helpers.js';

const TUF = 'https://tuf.private.test';
const production = JSON.stringify(EMBEDDED_TRUSTED_ROOT);

async function reset(): Promise<string> {
  return (await fetch(`${TUF}/__test/tuf/reset`)).text();
}
async function publishRoot(trustedRoot: string, timestampExpires?: string): Promise<void> {
  const r = await fetch(`${TUF}/__test/tuf/publish`, {
    method: 'POST',
    body: JSON.stringify({ trustedRoot, ...(timestampExpires ? { timestampExpires } : {}) }),
  });
  expect(r.status).toBe(200);
}
/** The Worker's scheduled handler, as the Cron Trigger calls it, with the repository configured. */
async function cron(root: string): Promise<void> {
  const controller = { scheduledTime: Date.now(), cron: '17 */6 * * *', noRetry() {} };
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };
  await worker.scheduled(controller as never, { ...env, TUF_URL: TUF, TUF_ROOT: root }, ctx as never);
}
async function stored(): Promise<StoredTrustRoot | null> {
  return env.VERDICTS.get<StoredTrustRoot>(TRUST_KEY, 'json');
}
async function verifyApi(): Promise<{ verified: boolean; errors?: { code: string }[] }> {
  const r = await api('/api/v1/verify', { method: 'POST', body: JSON.stringify({ bundle: golden('v1.1.0-sigstore')['model.sig'], policy: SIGSTORE_POLICY }) });
  return r.json();
}

afterAll(async () => {
  // Leave no TUF root behind for other tests (they verify against the embedded one).
  const keys = await env.VERDICTS.list({ prefix: 'trust/' });
  for (const k of keys.keys) await env.VERDICTS.delete(k.name);
});

describe('trust-root Cron Trigger', () => {
  it('stores the TUF-verified root; the state API reports it; a rotation re-verifies; a bad repository changes nothing', async () => {
    const root = await reset();
    await publishRoot(production);
    await cron(root);
    const s = await stored();
    expect(s).toMatchObject({ repository: TUF, tufRootVersion: 1 });
    expect(s!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(s!.expires!)).toBeGreaterThan(Date.now());

    // The model state and the verify API verify against it.
    await publish('tuf-model', golden('v1.1.0-sigstore'), SIGSTORE_POLICY);
    const state = await ((await (await api('/api/v1/models/tuf-model')).json()) as { verified: boolean; trustRoot: Record<string, unknown> });
    expect(state.verified).toBe(true);
    expect(state.trustRoot).toMatchObject({ origin: 'tuf', repository: TUF, tufRootVersion: 1 });
    expect((await verifyApi()).verified).toBe(true);

    // The repository rotates to a root without the production logs and TSA: the same bundle no longer verifies
    // (a new trust-root digest, so the cached verdict is not reused).
    const stripped = { ...(EMBEDDED_TRUSTED_ROOT as Record<string, unknown>), tlogs: [], timestampAuthorities: [] };
    await publishRoot(JSON.stringify(stripped));
    await cron(root);
    expect((await stored())!.digest).not.toBe(s!.digest);
    const after = await verifyApi();
    expect(after.verified).toBe(false);

    // A repository whose timestamp has expired fails the cron (TUF_INVALID) and leaves the stored root alone.
    const before = await stored();
    for (const k of (await env.VERDICTS.list({ prefix: 'trust/tuf/' })).keys) await env.VERDICTS.delete(k.name); // a new repository
    const root2 = await reset();
    await publishRoot(production, '2020-01-01T00:00:00Z');
    await expect(cron(root2)).rejects.toMatchObject({ code: 'TUF_INVALID' });
    expect(await stored()).toEqual(before);

    // Without a stored root the embedded one is used again.
    await env.VERDICTS.delete(TRUST_KEY);
    const embedded = await ((await (await api('/api/v1/models/tuf-model')).json()) as { verified: boolean; trustRoot: Record<string, unknown> });
    expect(embedded.verified).toBe(true);
    expect(embedded.trustRoot).toMatchObject({ origin: 'embedded' });
  });
});
