/**
 * node/tuf.ts (tuf-js) against a TUF repository on loopback with real Ed25519 signatures (tests/helpers/tuf-repo.ts):
 * updates, root rotations, and each attack the client must refuse, fail-closed with a typed code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import { SIGSTORE_PRODUCTION_TUF } from '../../core/sigstore/index.js';
import { cacheDirFor, readCachedTrustedRoot, refreshTrustedRoot } from '../../node/tuf.js';
import { expiresIn, newKey, TufTestRepo } from '../helpers/tuf-repo.js';

const TRUSTED_ROOT = JSON.stringify(EMBEDDED_TRUSTED_ROOT);
const dirs: string[] = [];
const repos: TufTestRepo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function served(): Promise<TufTestRepo> {
  const repo = new TufTestRepo();
  repos.push(repo);
  await repo.serve();
  return repo;
}
function cache(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mv-tuf-'));
  dirs.push(d);
  return d;
}
const client = (repo: TufTestRepo, dir: string, initialRoot = repo.root(1).toString()) => ({ url: repo.url, cacheDir: dir, initialRoot });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (process.env.TUF_TEST_DEBUG) console.log((e as Error).message);
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
  return 'accepted';
}

describe('TUF refresh of trusted_root.json', () => {
  it('a plain update: verified, cached, then reused with the server stopped', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    const dir = cache();
    const t = await refreshTrustedRoot(client(repo, dir));
    expect(t.origin).toBe('tuf');
    expect(t.rootVersion).toBe(1);
    expect(t.root.tlogs.length).toBeGreaterThan(0);
    expect(t.root.info()).toMatchObject({ origin: 'tuf', repository: repo.url, tufRootVersion: 1, date: '2025-09-23' });
    expect(Date.parse(t.expires!)).toBeGreaterThan(Date.now());
    expect(Date.parse(t.checkedAt!)).toBeLessThanOrEqual(Date.now());
    const consistent = repo.requests.filter((p) => /^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(p));
    expect(consistent).toHaveLength(1); // consistent snapshot: the target by its hash
    await repo.stop();
    const again = await refreshTrustedRoot(client(repo, dir));
    expect(again.origin).toBe('cache'); // unexpired timestamp: no network at all
    expect(again.root.tlogs.length).toBe(t.root.tlogs.length);
  });

  it('refreshes when the cached timestamp has expired, and sees the new target', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { expires: { timestamp: expiresIn(3) } });
    const dir = cache();
    await refreshTrustedRoot(client(repo, dir));
    const smaller = { ...(EMBEDDED_TRUSTED_ROOT as Record<string, unknown[]>) };
    smaller.tlogs = smaller.tlogs!.slice(0, 1);
    repo.publish({ 'trusted_root.json': JSON.stringify(smaller) });
    expect((await refreshTrustedRoot(client(repo, dir))).origin).toBe('cache'); // still fresh: not asked
    await sleep(3100);
    const t = await refreshTrustedRoot(client(repo, dir));
    expect(t.origin).toBe('tuf');
    expect(t.root.tlogs).toHaveLength(1);
  });

  it('root rotations v1 → v3 with key rotation and a threshold change', async () => {
    const repo = await served();
    const v1 = repo.root(1).toString();
    // v2: a new root key (signed by the old and the new), new timestamp key.
    repo.publishRoot({ keys: { ...repo.spec.keys, root: [newKey()], timestamp: [newKey()] }, thresholds: repo.spec.thresholds });
    // v3: two root keys, threshold 2; new targets keys with threshold 2.
    const rootKeys = [newKey(), newKey()];
    repo.publishRoot({
      keys: { ...repo.spec.keys, root: rootKeys, targets: [newKey(), newKey()] },
      thresholds: { ...repo.spec.thresholds, root: 2, targets: 2 },
    });
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    const t = await refreshTrustedRoot(client(repo, cache(), v1));
    expect(t.rootVersion).toBe(3);
    expect(t.root.info().tufRootVersion).toBe(3);
    expect(repo.requests).toEqual(expect.arrayContaining(['/2.root.json', '/3.root.json', '/4.root.json']));
  });

  it('a root rotation not signed by a threshold of the previous root is refused', async () => {
    const repo = await served();
    const v1 = repo.root(1).toString();
    const stranger = newKey();
    repo.publishRoot({ keys: { ...repo.spec.keys, root: [stranger] }, thresholds: repo.spec.thresholds }, { signers: [stranger] });
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    expect(await code(refreshTrustedRoot(client(repo, cache(), v1)))).toBe('TUF_INVALID');
  });

  it('an expired timestamp is refused (freeze attack)', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { expires: { timestamp: '2020-01-01T00:00:00Z' } });
    expect(await code(refreshTrustedRoot(client(repo, cache())))).toBe('TUF_INVALID');
  });

  it('expired targets metadata is refused', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { expires: { targets: '2020-01-01T00:00:00Z' } });
    expect(await code(refreshTrustedRoot(client(repo, cache())))).toBe('TUF_INVALID');
  });

  it('snapshot and targets rollbacks are refused', async () => {
    for (const role of ['snapshot', 'targets'] as const) {
      const repo = await served();
      const dir = cache();
      repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
      repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { expires: { timestamp: expiresIn(3) } });
      expect((await refreshTrustedRoot(client(repo, dir))).origin).toBe('tuf');
      // Version 3 of the timestamp points back at version 1 of the snapshot, or snapshot 3 at targets 1.
      repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { versions: { [role]: 1 } });
      await sleep(3100);
      expect(await code(refreshTrustedRoot(client(repo, dir))), role).toBe('TUF_INVALID');
    }
  });

  it('signatures below the threshold are refused', async () => {
    const repo = await served();
    const v1 = repo.root(1).toString();
    const targetsKeys = [newKey(), newKey()];
    repo.publishRoot({ keys: { ...repo.spec.keys, targets: targetsKeys }, thresholds: { ...repo.spec.thresholds, targets: 2 } });
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { signers: { targets: [targetsKeys[0]!] } });
    expect(await code(refreshTrustedRoot(client(repo, cache(), v1)))).toBe('TUF_INVALID');
    // The same signature twice is still one key.
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { signers: { targets: [targetsKeys[0]!, targetsKeys[0]!] } });
    expect(await code(refreshTrustedRoot(client(repo, cache(), v1)))).toBe('TUF_INVALID');
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { signers: { targets: targetsKeys } });
    expect(await code(refreshTrustedRoot(client(repo, cache(), v1)))).toBe('accepted');
  });

  it('mix-and-match: targets metadata of another version than the snapshot names is refused', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    repo.files.set('/2.targets.json', repo.files.get('/1.targets.json')!);
    expect(await code(refreshTrustedRoot(client(repo, cache())))).toBe('TUF_INVALID');
  });

  it('a target whose hash or length does not match the targets metadata is refused', async () => {
    for (const lie of [{ sha256: 'ab'.repeat(32) }, { length: TRUSTED_ROOT.length - 1 }]) {
      const repo = await served();
      repo.publish({ 'trusted_root.json': TRUSTED_ROOT }, { lie: { 'trusted_root.json': lie } });
      // The lying hash also names the file: serve the real bytes under it.
      if (lie.sha256) repo.files.set(`/targets/${lie.sha256}.trusted_root.json`, Buffer.from(TRUSTED_ROOT));
      expect(await code(refreshTrustedRoot(client(repo, cache()))), JSON.stringify(lie)).toBe('TUF_INVALID');
    }
  });

  it('a repository without trusted_root.json, or that is not a trust root, fails closed', async () => {
    const repo = await served();
    repo.publish({ 'other.json': '{}' });
    expect(await code(refreshTrustedRoot(client(repo, cache())))).toBe('TUF_INVALID');
    const repo2 = await served();
    repo2.publish({ 'trusted_root.json': '{"tlogs": []}' });
    expect(await code(refreshTrustedRoot(client(repo2, cache())))).toBe('TRUST_ROOT_INVALID');
  });

  it('an unreachable repository is TUF_UNAVAILABLE, not a verification failure', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    await repo.stop();
    expect(await code(refreshTrustedRoot({ ...client(repo, cache()) }, { retries: 0 }))).toBe('TUF_UNAVAILABLE');
    // A repository that answers 404 for its timestamp is unavailable too.
    const empty = await served();
    expect(await code(refreshTrustedRoot(client(empty, cache()), { retries: 0 }))).toBe('TUF_UNAVAILABLE');
  });

  it('the offline read re-checks the cache: a tampered trusted_root.json or targets.json is refused', async () => {
    const repo = await served();
    repo.publish({ 'trusted_root.json': TRUSTED_ROOT });
    const dir = cache();
    expect(await readCachedTrustedRoot({ url: repo.url, cacheDir: dir })).toBeUndefined();
    await refreshTrustedRoot(client(repo, dir));
    await repo.stop();
    const t = await readCachedTrustedRoot({ url: repo.url, cacheDir: dir });
    expect(t?.origin).toBe('cache');
    const target = path.join(dir, 'targets', 'trusted_root.json');
    writeFileSync(target, readFileSync(target, 'utf8').replace('rekor.sigstore.dev', 'rekor.evil.example'));
    expect(await code(readCachedTrustedRoot({ url: repo.url, cacheDir: dir }))).toBe('TUF_INVALID');
    writeFileSync(target, TRUSTED_ROOT);
    const targets = path.join(dir, 'targets.json');
    const doc = JSON.parse(readFileSync(targets, 'utf8'));
    doc.signed.expires = '2099-01-01T00:00:00Z';
    writeFileSync(targets, JSON.stringify(doc));
    expect(await code(readCachedTrustedRoot({ url: repo.url, cacheDir: dir }))).toBe('TUF_INVALID');
  });

  it('cache directories: per repository host, under MODEL_VERIFY_TUF_CACHE, XDG_CACHE_HOME or ~/.cache', () => {
    expect(cacheDirFor(SIGSTORE_PRODUCTION_TUF.url, { XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/model-verify/tuf/tuf-repo-cdn.sigstore.dev');
    expect(cacheDirFor('http://127.0.0.1:8080/repo/', { XDG_CACHE_HOME: 'relative' })).toBe(
      path.join(os.homedir(), '.cache/model-verify/tuf/127.0.0.1%3A8080%2Frepo'),
    );
    expect(cacheDirFor('https://a.example', { MODEL_VERIFY_TUF_CACHE: '/t', XDG_CACHE_HOME: '/x' })).toBe('/t/a.example');
  });

  it('the embedded production TUF root is the pinned @sigstore/tuf seed (scripts/embed-tuf-roots.mjs --check)', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, ['scripts/embed-tuf-roots.mjs', '--check'], { cwd: path.resolve(import.meta.dirname, '../..') });
    const root = JSON.parse(SIGSTORE_PRODUCTION_TUF.rootJson);
    expect(root.signed._type).toBe('root');
    expect(SIGSTORE_PRODUCTION_TUF.rootVersion).toBe(root.signed.version);
  });
});
