/**
 * HfSource against the Hub double on loopback (two origins, Node's fetch): pinned commit, pagination, LFS via a 302
 * to the CDN with Range, the precheck, gated repositories and the verdicts verifyModel reaches through it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HfSource, hubPrecheck, nextLink, parseHfSpec } from '../../core/sources/index.js';
import { verifyModel, verifySignature } from '../../core/verify/index.js';
import { publishSigned, sampleModel } from './publish.js';
import { serveHub, type ServedHub } from './hub-server.js';

let s: ServedHub;
beforeAll(async () => {
  s = await serveHub();
});
afterAll(() => s.close());

const open = (spec: string, token?: string) => HfSource.open(spec, { endpoint: s.endpoint, ...(token ? { token } : {}) });
const verify = (src: HfSource, bundle: Uint8Array, policy: { method: 'key'; publicKey: string }, o: { ignoreUnsigned?: boolean } = {}) =>
  verifyModel(src, bundle, policy, { ignorePaths: ['model.sig'], ...o });

describe('hf:// specs', () => {
  test('parse', () => {
    expect(parseHfSpec('hf://org/model')).toEqual({ repo: 'org/model', revision: 'main' });
    expect(parseHfSpec('hf://org/model@v1.0')).toEqual({ repo: 'org/model', revision: 'v1.0' });
    expect(parseHfSpec('hf://gpt2@refs/pr/1')).toEqual({ repo: 'gpt2', revision: 'refs/pr/1' });
    expect(parseHfSpec('org/model', { bare: true })).toEqual({ repo: 'org/model', revision: 'main' });
    for (const bad of ['hf://', 'hf://a/b/c', 'hf://../x', 'hf://org/..', 'hf://org/m@', 'hf://org/m@a b', 'hf://org/m@../x', 'org/model'])
      expect(() => parseHfSpec(bad), bad).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
  });
  test('Link headers', () => {
    expect(nextLink('<https://h/api?cursor=2>; rel="next"')).toBe('https://h/api?cursor=2');
    expect(nextLink('<https://h/a>; rel="prev", <https://h/b>; rel="next"')).toBe('https://h/b');
    expect(nextLink('<https://h/a>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe('HfSource', () => {
  test('verified: commit resolved and shown, tree paginated, LFS bytes from the CDN without the token', async () => {
    const p = await publishSigned(s.hub, 'org/good', sampleModel());
    s.hub.log.length = 0;
    const src = await open('hf://org/good');
    expect(src.commit).toBe(p.commit);
    expect(src.pinned).toBe(`hf://org/good@${p.commit}`);
    const r = await verify(src, p.bundle, p.policy);
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.model.listable).toBe(true);
    expect(r.resources.map((x) => x.name).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer/vocab.txt']);
    // 3 files + model.sig + 1 directory entry = 5 entries at 2 a page: 3 tree pages, every one at the commit.
    const tree = s.hub.log.filter((l) => l.path.includes('/tree/'));
    expect(tree).toHaveLength(3);
    for (const t of tree) expect(t.path).toContain(`/tree/${p.commit}`);
    const cdn = s.hub.log.filter((l) => l.origin === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    for (const l of s.hub.log.filter((x) => x.path.includes('/resolve/'))) expect(l.path).toContain(`/resolve/${p.commit}/`);
    // The precheck: the Hub's LFS sha256 for model.safetensors is the signed one; the two git files have none.
    const { manifest } = await verifySignature(p.bundle, p.policy);
    expect(hubPrecheck(src, manifest)).toMatchObject({ status: 'match', checked: 1, unrecorded: 2, differ: [] });
  });

  test('the token goes to the Hub, never to the CDN', async () => {
    const p = await publishSigned(s.hub, 'org/gated', sampleModel(), { token: 'hf_secret' });
    s.hub.log.length = 0;
    const r = await verify(await open('hf://org/gated', 'hf_secret'), p.bundle, p.policy);
    expect(r.verified).toBe(true);
    expect(s.hub.log.filter((l) => l.origin === 'hub').every((l) => l.auth)).toBe(true);
    expect(s.hub.log.filter((l) => l.origin === 'cdn').some((l) => l.auth)).toBe(false);
  });

  test('gated without a token: 401 is a setup error naming repo, revision and status, never a verdict', async () => {
    await publishSigned(s.hub, 'org/gated2', sampleModel(), { token: 'hf_secret' });
    const e = await open('hf://org/gated2@main').catch((x) => x);
    expect(e).toMatchObject({ code: 'IO_ERROR' });
    expect(e.message).toMatch(/org\/gated2@main.*HTTP 401.*HF_TOKEN/);
    const wrong = await open('hf://org/gated2', 'hf_wrong').catch((x) => x);
    expect(wrong.message).toMatch(/HTTP 403.*token was refused/);
  });

  test('429 names the retry delay', async () => {
    await publishSigned(s.hub, 'org/busy', sampleModel());
    s.hub.rateLimited = true;
    try {
      const e = await open('hf://org/busy').catch((x) => x);
      expect(e.message).toMatch(/HTTP 429.*rate-limiting.*retry after 30 s/);
    } finally {
      s.hub.rateLimited = false;
    }
  });

  test('tampered on the CDN: the precheck matches (the Hub says so) but hashing does not', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/tampered', files);
    const src = await open('hf://org/tampered');
    const oid = src.treeFile('model.safetensors')!.lfsSha256!;
    const bad = (files['model.safetensors'] as Uint8Array).slice();
    bad[100]! ^= 1;
    s.hub.cdnOverride.set(oid, bad);
    try {
      const { manifest } = await verifySignature(p.bundle, p.policy);
      expect(hubPrecheck(src, manifest).status).toBe('match');
      const r = await verify(src, p.bundle, p.policy);
      expect(r.verified).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
    } finally {
      s.hub.cdnOverride.delete(oid);
    }
  });

  test('a CDN answer longer than the listing is a changed model, not a prefix that verifies', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/longer', files);
    const src = await open('hf://org/longer');
    const oid = src.treeFile('model.safetensors')!.lfsSha256!;
    const w = files['model.safetensors'] as Uint8Array;
    const longer = new Uint8Array(w.byteLength + 10);
    longer.set(w);
    s.hub.cdnOverride.set(oid, longer);
    try {
      const r = await verify(src, p.bundle, p.policy);
      expect(r.verified).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'MODEL_CHANGED' });
    } finally {
      s.hub.cdnOverride.delete(oid);
    }
  });

  test('an extra unsigned file is found through the listing', async () => {
    const p = await publishSigned(s.hub, 'org/extra', sampleModel(), { extra: { 'notes/evil.py': 'import os\n' } });
    const r = await verify(await open('hf://org/extra'), p.bundle, p.policy);
    expect(r.verified).toBe(false);
    expect(r.errors[0]).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'notes/evil.py' });
    const ok = await verify(await open('hf://org/extra'), p.bundle, p.policy, { ignoreUnsigned: true });
    expect(ok.verified).toBe(true);
  });

  test('revision pinning: a branch that moves after resolution still serves the pinned commit', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/moving', files);
    const changed = { ...files, 'config.json': '{"layers":3}\n', 'model.safetensors': new Uint8Array(5000).fill(9) };
    s.hub.afterRevision = async (repo) => {
      if (repo === 'org/moving') await s.hub.commit('org/moving', { ...changed, 'model.sig': p.bundle });
    };
    try {
      const src = await open('hf://org/moving@main');
      s.hub.afterRevision = undefined;
      expect(src.commit).toBe(p.commit);
      const r = await verify(src, p.bundle, p.policy);
      expect(r.verified).toBe(true);
      // The branch did move: a fresh resolution sees the new commit, which no longer matches.
      const now = await open('hf://org/moving@main');
      expect(now.commit).not.toBe(p.commit);
      expect((await verify(now, p.bundle, p.policy)).verified).toBe(false);
      // And the old commit by its sha, as a user would pin it.
      expect((await verify(await open(`hf://org/moving@${p.commit}`), p.bundle, p.policy)).verified).toBe(true);
    } finally {
      s.hub.afterRevision = undefined;
    }
  });

  test('precheck mismatch: the Hub records another sha256 than the signature', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/changed', files);
    // A later commit replaces the weights; the old signature stays.
    await s.hub.commit('org/changed', { ...files, 'model.safetensors': new Uint8Array(5000).fill(1), 'model.sig': p.bundle });
    const src = await open('hf://org/changed');
    const { manifest } = await verifySignature(p.bundle, p.policy);
    const claim = hubPrecheck(src, manifest);
    expect(claim).toMatchObject({ status: 'mismatch', checked: 1, differ: [expect.objectContaining({ name: 'model.safetensors' })] });
    expect(claim.summary).toMatch(/do NOT match/);
  });

  test('shards: Range requests through the redirect', async () => {
    const p = await publishSigned(s.hub, 'org/shards', sampleModel(), { shardSize: 1024 });
    s.hub.log.length = 0;
    const src = await open('hf://org/shards');
    const r = await verify(src, p.bundle, p.policy);
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    const ranged = s.hub.log.filter((l) => l.origin === 'cdn' && l.range);
    expect(ranged.length).toBeGreaterThanOrEqual(4);
    const { manifest } = await verifySignature(p.bundle, p.policy);
    expect(hubPrecheck(src, manifest).status).toBe('unavailable');
  });

  test('hostile listings: bounded pages, no off-origin next page, no unsafe paths', async () => {
    await publishSigned(s.hub, 'org/many', { ...sampleModel(), a: '1', b: '2', c: '3', d: '4' });
    await expect(HfSource.open('hf://org/many', { endpoint: s.endpoint, maxPages: 2 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    await expect(HfSource.open('hf://org/many', { endpoint: s.endpoint, maxEntries: 3 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    const hostile =
      (body: unknown, headers: Record<string, string> = {}): typeof fetch =>
      async (input) => {
        const u = String(input instanceof Request ? input.url : input);
        if (u.includes('/revision/')) return Response.json({ sha: 'a'.repeat(40) });
        return Response.json(body, { headers });
      };
    const at = (f: typeof fetch) => HfSource.open('hf://org/x', { endpoint: 'http://hub.test', fetch: f });
    await expect(at(hostile([], { link: '<http://evil.test/next>; rel="next"' }))).rejects.toThrow(/another origin/);
    await expect(
      at(hostile([], { link: '<http://hub.test/api/models/org/x/tree/' + 'a'.repeat(40) + '?recursive=true&expand=false>; rel="next"' })),
    ).rejects.toThrow(/loops/);
    for (const path of ['../etc/passwd', '/abs', 'a//b', 'a/./b', 'a\\b'])
      await expect(at(hostile([{ type: 'file', path, size: 1 }])), path).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
    await expect(at(hostile([{ type: 'file', path: 'a', size: -1 }]))).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(
      at(
        hostile([
          { type: 'file', path: 'a', size: 1 },
          { type: 'file', path: 'a', size: 1 },
        ]),
      ),
    ).rejects.toThrow(/twice/);
    await expect(at(hostile({ not: 'a list' }))).rejects.toThrow(/not a list/);
    const badSha: typeof fetch = async () => Response.json({ sha: 'not-a-commit' });
    await expect(at(badSha)).rejects.toThrow(/did not resolve/);
    const otherCommit: typeof fetch = async () => Response.json({ sha: 'b'.repeat(40) });
    await expect(HfSource.open(`hf://org/x@${'a'.repeat(40)}`, { endpoint: 'http://hub.test', fetch: otherCommit })).rejects.toThrow(/another commit/);
    await expect(open('hf://org/nothere')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(open('hf://org/many@nobranch')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
