/**
 * createVerifiedFetch in every runtime (Node, headless Chromium, workerd), against a hub answered by the `fetch`
 * option (tests/fetch/model-server.ts) and models signed here with real keys: what is released, what is refused,
 * and that nothing unverified ever reaches the caller in verify-then-release mode.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifiedCache, createVerifiedFetch } from '../../core/fetch/index.js';
import type { ModelVerifyError } from '../../core/errors.js';
import { bytesOf, HUB, modelServer, signFiles } from './model-server.js';

const files = () => ({ 'config.json': new TextEncoder().encode('{"layers":2}'), 'weights.bin': bytesOf(10_000), 'sub/dir/a b.bin': bytesOf(2500, 9) });
const asBytes = async (r: Response) => new Uint8Array(await r.arrayBuffer());
const caught = async (p: Promise<unknown>): Promise<ModelVerifyError> => {
  try {
    await p;
  } catch (e) {
    return e as ModelVerifyError;
  }
  throw new Error('expected a rejection');
};

let signed: Awaited<ReturnType<typeof signFiles>>;
let sharded: Awaited<ReturnType<typeof signFiles>>;

beforeAll(async () => {
  // workerd refuses runtime wasm compilation: use its statically imported hashers, as the Worker does.
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
  signed = await signFiles(files());
  sharded = await signFiles(files(), 1024);
});

describe('createVerifiedFetch (whole-file signature)', () => {
  it('releases a signed file that matches, with a sane status and the verified length; the signature is fetched and verified once', async () => {
    const hub = modelServer({ ...files(), 'model.sig': signed.bundle });
    const vf = createVerifiedFetch({ signature: 'model.sig', policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const [a, b] = await Promise.all([vf(`${HUB}weights.bin`), vf(new Request(`${HUB}config.json`))]);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-length')).toBe('10000');
    expect(a.headers.get('content-type')).toBe('application/octet-stream');
    expect(await asBytes(a)).toEqual(bytesOf(10_000));
    expect(JSON.parse(await b.text())).toEqual({ layers: 2 });
    expect(await asBytes(await vf(`${HUB}sub/dir/a%20b.bin`))).toEqual(bytesOf(2500, 9));
    expect(hub.log.filter((l) => l.url.endsWith('model.sig'))).toHaveLength(1);
    expect((await vf.signature).signer.method).toBe('key');
  });

  it('a tampered file rejects with HASH_MISMATCH naming the file, and no Response is ever given', async () => {
    const hub = modelServer(files(), { 'weights.bin': { flip: 9999 } });
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const e = await caught(vf(`${HUB}weights.bin`));
    expect(e.name).toBe('ModelVerifyError');
    expect([e.code, e.resource]).toEqual(['HASH_MISMATCH', 'weights.bin']);
  });

  it('one-shot digests (a file within oneShotBytes), streamed hashing (past it, or declared past it) and the switch mid-body (undeclared, past it) agree', async () => {
    for (const [oneShotBytes, length] of [
      [undefined, undefined], // within the default bound: held in memory, one WebCrypto digest at the end
      [0, undefined], // always streamed
      [4000, undefined], // declared past the bound: Blobs and streaming from the first byte
      [4000, null], // undeclared: held in memory, spilled and streamed from byte 4000 on
    ] as const) {
      const opts = { signature: signed.bundle, policy: signed.policy, baseUrl: HUB, ...(oneShotBytes !== undefined ? { oneShotBytes } : {}) };
      const served = length === null ? { length: null } : {};
      const ok = modelServer(files(), { 'weights.bin': served }, 700);
      expect(await asBytes(await createVerifiedFetch({ ...opts, fetch: ok.fetch })(`${HUB}weights.bin`))).toEqual(bytesOf(10_000));
      for (const flip of [10, 3999, 4000, 9999]) {
        const bad = modelServer(files(), { 'weights.bin': { ...served, flip } }, 700);
        const e = await caught(createVerifiedFetch({ ...opts, fetch: bad.fetch })(`${HUB}weights.bin`));
        expect([oneShotBytes, length, flip, e.code]).toEqual([oneShotBytes, length, flip, 'HASH_MISMATCH']);
      }
    }
  });

  it('refuses an unsigned file under baseUrl without reading it, passes on a plain 404 for one that does not exist; passthrough fetches it untouched', async () => {
    const hub = modelServer({ ...files(), 'extra.json': new Uint8Array([1, 2]) });
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const e = await caught(vf(`${HUB}extra.json`));
    expect([e.code, e.resource]).toEqual(['UNSIGNED_FILE', 'extra.json']);
    expect(hub.log.map((l) => l.method)).toEqual(['HEAD']);
    expect(hub.pulled.get('extra.json')).toBeUndefined();
    // An optional file a runtime probes for: absent on the server, so a 404 (what the runtime expects), no body.
    const absent = await vf(`${HUB}preprocessor_config.json`, { headers: { range: 'bytes=0-0' } });
    expect([absent.status, await absent.text()]).toEqual([404, '']);
    // The folder itself is under baseUrl too: not signed, so only asked about (HEAD), and this hub has nothing there.
    const folder = await vf(HUB);
    expect([folder.status, await folder.text(), hub.log.at(-1)?.method]).toEqual([404, '', 'HEAD']);
    const pass = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch, unsigned: 'passthrough' });
    expect(await asBytes(await pass(`${HUB}extra.json`))).toEqual(new Uint8Array([1, 2]));
  });

  it('passes requests outside baseUrl untouched (the very Response of the underlying fetch), even with a bad signature', async () => {
    const mine = new Response('elsewhere');
    const inner: typeof fetch = async () => mine;
    const vf = createVerifiedFetch({ signature: new Uint8Array([1]), policy: signed.policy, baseUrl: HUB, fetch: inner });
    expect(await vf('https://hub.test/other/file.txt')).toBe(mine);
    expect(await vf('https://cdn.test/org/tiny/resolve/main/weights.bin')).toBe(mine);
    expect((await caught(vf(`${HUB}weights.bin`))).code).toBe('BUNDLE_MALFORMED');
  });

  it('a signature that fails the policy refuses every signed file with its typed error', async () => {
    const other = await signFiles(files());
    const hub = modelServer(files());
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: other.policy, baseUrl: HUB, fetch: hub.fetch });
    expect((await caught(vf(`${HUB}config.json`))).code).toBe('KEY_MISMATCH');
    expect((await caught(vf(`${HUB}weights.bin`))).code).toBe('KEY_MISMATCH');
    expect(hub.log).toHaveLength(0);
  });

  it('answers a `bytes=0-0` probe from the verified whole file, and the download that follows from the same bytes', async () => {
    const hub = modelServer(files());
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const probe = await vf(`${HUB}weights.bin`, { headers: { range: 'bytes=0-0' } });
    expect(probe.status).toBe(206);
    expect(probe.headers.get('content-range')).toBe('bytes 0-0/10000');
    expect(probe.headers.get('content-length')).toBe('1');
    expect(await asBytes(probe)).toEqual(bytesOf(10_000).slice(0, 1));
    expect(hub.log.map((l) => l.range)).toEqual([null]); // fetched whole: a part cannot be checked against a file digest
    const full = await vf(`${HUB}weights.bin`);
    expect(await asBytes(full)).toEqual(bytesOf(10_000));
    expect(hub.log).toHaveLength(1);
    const tail = await vf(`${HUB}weights.bin`, { headers: { range: 'bytes=-10' } });
    expect(await asBytes(tail)).toEqual(bytesOf(10_000).slice(-10));
    expect((await vf(`${HUB}weights.bin`, { headers: { range: 'bytes=20000-' } })).status).toBe(416);
  });

  it('a probe of a tampered file rejects: not even its first byte is released', async () => {
    const hub = modelServer(files(), { 'weights.bin': { flip: 5000 } });
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    expect((await caught(vf(`${HUB}weights.bin`, { headers: { range: 'bytes=0-0' } }))).code).toBe('HASH_MISMATCH');
  });

  it('refuses a body past maxFileBytes as it arrives (declared or not), without reading it all', async () => {
    const big = { ...files(), 'weights.bin': bytesOf(50_000) };
    const s = await signFiles(big);
    for (const length of [undefined, null] as const) {
      const hub = modelServer(big, { 'weights.bin': { length } });
      const vf = createVerifiedFetch({ signature: s.bundle, policy: s.policy, baseUrl: HUB, fetch: hub.fetch, maxFileBytes: 20_000 });
      expect((await caught(vf(`${HUB}weights.bin`))).code).toBe('MODEL_TOO_LARGE');
      expect(hub.pulled.get('weights.bin') ?? 0).toBeLessThanOrEqual(length === null ? 22_000 : 1000); // 1000: the one chunk a stream prefetches;
    }
  });

  it('stream mode: bytes flow, and the body errors at its end when the file does not match', async () => {
    const hub = modelServer(files(), { 'weights.bin': { flip: 9000 } });
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch, mode: 'stream' });
    const ok = await vf(`${HUB}config.json`);
    expect(await ok.text()).toBe('{"layers":2}');
    const res = await vf(`${HUB}weights.bin`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = 0;
    let error: ModelVerifyError | undefined;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        got += r.value.byteLength;
      }
    } catch (e) {
      error = e as ModelVerifyError;
    }
    expect(got).toBe(10_000);
    expect([error?.code, error?.resource]).toEqual(['HASH_MISMATCH', 'weights.bin']);
  });

  it('HEAD of a signed file is answered by the server without a body', async () => {
    const hub = modelServer(files());
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const res = await vf(`${HUB}weights.bin`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('10000');
    expect(hub.log.map((l) => l.method)).toEqual(['HEAD']);
    expect((await caught(vf(`${HUB}weights.bin`, { method: 'POST', body: 'x' }))).code).toBe('UNSUPPORTED');
  });
});

describe('createVerifiedFetch (shard signature)', () => {
  it('a ranged request downloads and checks only the shards it touches', async () => {
    const hub = modelServer(files(), { 'weights.bin': { flip: 9500 } }); // a tampered shard the range does not touch
    const vf = createVerifiedFetch({ signature: sharded.bundle, policy: sharded.policy, baseUrl: HUB, fetch: hub.fetch });
    const res = await vf(`${HUB}weights.bin`, { headers: { range: 'bytes=1500-2100' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 1500-2100/10000');
    expect(await asBytes(res)).toEqual(bytesOf(10_000).slice(1500, 2101));
    expect(hub.log.map((l) => l.range)).toEqual(['bytes=1024-3071']);
    const e = await caught(vf(`${HUB}weights.bin`, { headers: { range: 'bytes=9000-9600' } }));
    expect([e.code, e.resource]).toEqual(['HASH_MISMATCH', 'weights.bin:9216:10000']);
    expect((await caught(vf(`${HUB}weights.bin`))).code).toBe('HASH_MISMATCH');
  });

  it('a server that ignores Range is read up to the window, checked the same', async () => {
    const hub = modelServer(files(), { 'weights.bin': { ignoreRange: true } });
    const vf = createVerifiedFetch({ signature: sharded.bundle, policy: sharded.policy, baseUrl: HUB, fetch: hub.fetch });
    const res = await vf(`${HUB}weights.bin`, { headers: { range: 'bytes=2048-2050' } });
    expect(await asBytes(res)).toEqual(bytesOf(10_000).slice(2048, 2051));
  });

  it('more bytes than the signed size: a declared length is refused before a byte is read, an undeclared one on arrival', async () => {
    for (const length of [undefined, null] as const) {
      const hub = modelServer(files(), { 'weights.bin': { extra: 5000, length } });
      const vf = createVerifiedFetch({ signature: sharded.bundle, policy: sharded.policy, baseUrl: HUB, fetch: hub.fetch });
      const e = await caught(vf(`${HUB}weights.bin`));
      expect([e.code, e.resource]).toEqual(['HASH_MISMATCH', 'weights.bin']);
      expect(hub.pulled.get('weights.bin') ?? 0).toBeLessThanOrEqual(length === null ? 12_000 : 1000);
    }
  });

  it('a short body is a mismatch, not a shorter file', async () => {
    const short = { ...files(), 'weights.bin': bytesOf(10_000).slice(0, 9000) };
    const hub = modelServer(short);
    const vf = createVerifiedFetch({ signature: sharded.bundle, policy: sharded.policy, baseUrl: HUB, fetch: hub.fetch });
    expect((await caught(vf(`${HUB}weights.bin`))).code).toBe('HASH_MISMATCH');
  });

  it('releases the whole verified file with its signed length', async () => {
    const hub = modelServer(files());
    const seen: number[] = [];
    const vf = createVerifiedFetch({
      signature: sharded.bundle,
      policy: sharded.policy,
      baseUrl: HUB,
      fetch: hub.fetch,
      onProgress: (p) => seen.push(p.bytesDone),
    });
    const res = await vf(`${HUB}weights.bin`);
    expect(res.headers.get('content-length')).toBe('10000');
    expect(await asBytes(res)).toEqual(bytesOf(10_000));
    expect(seen.at(-1)).toBe(10_000);
  });
});

/** A CacheStorage in memory (Node has none): the platform's interface, so the cache under test is ours alone. */
function memoryCaches(): CacheStorage {
  const stores = new Map<string, Map<string, { body: ArrayBuffer; status: number; headers: Headers }>>();
  const key = (r: RequestInfo | URL) => (typeof r === 'string' ? r : r instanceof URL ? r.href : r.url);
  return {
    async open(name: string) {
      let m = stores.get(name);
      if (!m) stores.set(name, (m = new Map()));
      const store = m;
      return {
        async match(r: RequestInfo | URL) {
          const e = store.get(key(r));
          return e ? new Response(e.body.slice(0), { status: e.status, headers: e.headers }) : undefined;
        },
        async put(r: RequestInfo | URL, res: Response) {
          store.set(key(r), { body: await res.arrayBuffer(), status: res.status, headers: new Headers(res.headers) });
        },
        async delete(r: RequestInfo | URL) {
          return store.delete(key(r));
        },
      } as unknown as Cache;
    },
  } as unknown as CacheStorage;
}

describe('createVerifiedCache', () => {
  it('hands out cached copies only once they match; a planted copy is dropped (a miss), unsigned files are not kept', async () => {
    const hub = modelServer({ ...files(), 'extra.json': new Uint8Array([1]) });
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: hub.fetch });
    const storage = memoryCaches();
    const cache = createVerifiedCache(vf, { caches: storage });
    const url = `${HUB}weights.bin`;
    expect(await cache.match(url)).toBeUndefined();
    await cache.put(url, await vf(url));
    const hit = await cache.match(url);
    expect(hit!.headers.get('content-length')).toBe('10000');
    expect(await asBytes(hit!)).toEqual(bytesOf(10_000));
    expect(hub.log).toHaveLength(1); // the one download

    const planted = bytesOf(10_000);
    planted[3]! ^= 1;
    await (await storage.open('model-verify-cache')).put(url, new Response(planted));
    expect(await cache.match(url)).toBeUndefined();
    expect(await (await storage.open('model-verify-cache')).match(url)).toBeUndefined(); // deleted

    await cache.put(`${HUB}extra.json`, new Response('x'));
    expect(await (await storage.open('model-verify-cache')).match(`${HUB}extra.json`)).toBeUndefined();
    expect(await cache.match(`${HUB}extra.json`)).toBeUndefined();
  });

  it('check() refuses a Response that is not the signed file', async () => {
    const vf = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: HUB, fetch: modelServer(files()).fetch });
    expect(await (await vf.check(`${HUB}config.json`, new Response('{"layers":2}'))).text()).toBe('{"layers":2}');
    expect((await caught(vf.check(`${HUB}config.json`, new Response('{"layers":3}')))).code).toBe('HASH_MISMATCH');
    expect((await caught(vf.check(`${HUB}nope.json`, new Response('{}')))).code).toBe('UNSIGNED_FILE');
  });
});
