/**
 * core's web-standard TUF client (core/sigstore/tuf) in Node, Chromium and workerd, against a repository signed with
 * WebCrypto Ed25519 (tests/helpers/tuf-repo-web.ts): updates, rotations, and the attacks it must refuse. In
 * Chromium the metadata also persists in IndexedDB (browser/tuf-storage.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import { refreshTufTrustedRoot, trustRootFromTuf, type TufStorage } from '../../core/sigstore/tuf/index.js';
import { newWebKey, WebTufRepo } from '../helpers/tuf-repo-web.js';

const TRUSTED_ROOT = JSON.stringify(EMBEDDED_TRUSTED_ROOT);
const repos: WebTufRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.stop();
});

function memory(): TufStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: async (k) => map.get(k), put: async (k, v) => void map.set(k, v), delete: async (k) => void map.delete(k) };
}
async function served(): Promise<WebTufRepo> {
  const r = await WebTufRepo.create();
  r.serve();
  repos.push(r);
  return r;
}
async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
}
const repoOf = (r: WebTufRepo, rootJson = r.root(1)) => ({ url: r.origin, rootJson });

describe('web-standard TUF client', () => {
  it('a plain update: the target, its digest, the TUF root version, the expiry; a TrustRoot with provenance', async () => {
    const r = await served();
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT });
    const t = await refreshTufTrustedRoot(repoOf(r), memory());
    expect(t.trustedRoot).toBe(TRUSTED_ROOT);
    expect(t.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(t.tufRootVersion).toBe(1);
    expect(Date.parse(t.expires!)).toBeGreaterThan(Date.now());
    expect(trustRootFromTuf(t).info()).toMatchObject({ origin: 'tuf', repository: r.origin, tufRootVersion: 1, date: '2025-09-23' });
  });

  it('root rotations v1 → v3 with key rotation and a threshold change', async () => {
    const r = await served();
    const v1 = r.root(1);
    await r.publishRoot({ keys: { ...r.spec.keys, root: [await newWebKey()], timestamp: [await newWebKey()] }, thresholds: r.spec.thresholds });
    await r.publishRoot({
      keys: { ...r.spec.keys, root: [await newWebKey(), await newWebKey()], targets: [await newWebKey(), await newWebKey()] },
      thresholds: { ...r.spec.thresholds, root: 2, targets: 2 },
    });
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT });
    expect((await refreshTufTrustedRoot(repoOf(r, v1), memory())).tufRootVersion).toBe(3);
  });

  it('refuses: a rotation the old root did not sign, an expired timestamp, too few signatures, a wrong target hash', async () => {
    const r1 = await served();
    const stranger = await newWebKey();
    await r1.publishRoot({ keys: { ...r1.spec.keys, root: [stranger] }, thresholds: r1.spec.thresholds }, [stranger]);
    await r1.publish({ 'trusted_root.json': TRUSTED_ROOT });
    expect(await code(refreshTufTrustedRoot(repoOf(r1), memory()))).toBe('TUF_INVALID');

    const r2 = await served();
    await r2.publish({ 'trusted_root.json': TRUSTED_ROOT }, { expires: { timestamp: '2020-01-01T00:00:00Z' } });
    expect(await code(refreshTufTrustedRoot(repoOf(r2), memory()))).toBe('TUF_INVALID');

    const r3 = await served();
    const v1 = r3.root(1);
    const targets = [await newWebKey(), await newWebKey()];
    await r3.publishRoot({ keys: { ...r3.spec.keys, targets }, thresholds: { ...r3.spec.thresholds, targets: 2 } });
    await r3.publish({ 'trusted_root.json': TRUSTED_ROOT }, { signers: { targets: [targets[0]!] } });
    expect(await code(refreshTufTrustedRoot(repoOf(r3, v1), memory()))).toBe('TUF_INVALID');

    const r4 = await served();
    await r4.publish({ 'trusted_root.json': TRUSTED_ROOT }, { lieSha256: 'ab'.repeat(32) });
    expect(await code(refreshTufTrustedRoot(repoOf(r4), memory()))).toBe('TUF_INVALID');
  });

  it('a targets rollback against the stored metadata is refused; an unreachable repository is TUF_UNAVAILABLE', async () => {
    const r = await served();
    const storage = memory();
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT });
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT });
    await refreshTufTrustedRoot(repoOf(r), storage);
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT }, { versions: { targets: 1 } });
    expect(await code(refreshTufTrustedRoot(repoOf(r), storage))).toBe('TUF_INVALID');
    r.down = true;
    expect(await code(refreshTufTrustedRoot(repoOf(r), memory()))).toBe('TUF_UNAVAILABLE');
  });

  it.skipIf(typeof indexedDB === 'undefined')('in a browser the metadata persists in IndexedDB across clients', async () => {
    const { indexedDbTufStorage } = await import('../../browser/tuf-storage.js');
    const r = await served();
    await r.publish({ 'trusted_root.json': TRUSTED_ROOT });
    const name = `mv-tuf-test-${Math.random().toString(36).slice(2)}`;
    await refreshTufTrustedRoot(repoOf(r), indexedDbTufStorage(name));
    // A new client (another page load) finds the stored timestamp: an older one from the repository is a rollback.
    const before = r.requests.length;
    const again = await refreshTufTrustedRoot(repoOf(r), indexedDbTufStorage(name));
    expect(again.trustedRoot).toBe(TRUSTED_ROOT);
    expect(r.requests.slice(before)).not.toContain('/1.snapshot.json'); // unchanged timestamp: no snapshot fetched again
  });
});
