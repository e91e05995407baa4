/**
 * oci:// against a real registry (Debian's docker-registry on 127.0.0.1, tests/helpers/oci-registry.ts): ORAS
 * artifacts and a modelcar image pushed over the distribution API, signed by our signer (manifest form and
 * directory form), verified through OciSource + verifyModel by tag and by digest; tampering, a missing layer,
 * and, with a registry double (a real registry cannot be made to lie), a lying blob, bearer-token auth and 429.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTarPacker } from 'modern-tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keySigner,
  MemorySource,
  OciSource,
  parseOciReference,
  readPrivateKey,
  signModel,
  signOciManifest,
  verifyModel,
  type VerificationReport,
} from '../../core/index.js';
import { digestOf, pushBlob, pushImage, pushManifest, registryAvailable, startRegistry, type Registry } from '../helpers/oci-registry.js';
import { refKey } from '../sign/helpers.js';
import { blob, enc, imageManifest, orasArtifact, TINY_MODEL } from './images.js';

const policy = () => ({ method: 'key' as const, publicKey: refKey('signing-key-pub.pem') });
const statuses = (r: VerificationReport) => r.resources.map((x) => `${x.name}:${x.status}`);
const json = (v: unknown) => enc(JSON.stringify(v));

let reg: Registry;
let signer: Awaited<ReturnType<typeof keySigner>>;
let orasBytes: Uint8Array;
let orasDigest: string;
let modelcarBytes: Uint8Array;

async function tarGz(files: Record<string, string>, prefix = 'models/'): Promise<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  const dir = controller.add({ name: 'models/', type: 'directory', size: 0 });
  await dir.close();
  for (const [name, data] of Object.entries(files)) {
    const b = enc(data);
    const w = controller.add({ name: `${prefix}${name}`, size: b.byteLength });
    const writer = w.getWriter();
    if (b.byteLength) await writer.write(b); // an empty write never settles in the packer
    await writer.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}

async function pushModelcar(repo: string, tag: string, files: Record<string, string>): Promise<Uint8Array> {
  const layer = blob(await tarGz(files), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = blob(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    'application/vnd.oci.image.config.v1+json',
  );
  const m = imageManifest([layer], config);
  delete m.artifactType;
  const bytes = json(m);
  await pushImage(reg.url, repo, tag, [config.bytes, layer.bytes], bytes);
  return bytes;
}

const open = (ref: string, o: Parameters<typeof OciSource.open>[1] = {}) => OciSource.open(`oci://${reg.host}/${ref}`, { plainHttp: true, ...o });

describe.skipIf(!registryAvailable())('oci:// against a real registry', () => {
  beforeAll(async () => {
    reg = await startRegistry();
    signer = keySigner(await readPrivateKey(refKey('signing-key.pem')));
    const a = orasArtifact();
    orasBytes = json(a.manifest);
    orasDigest = await pushImage(reg.url, 'test/tiny-model', 'v1', [a.config.bytes, ...a.layers.map((l) => l.bytes)], orasBytes);
    modelcarBytes = await pushModelcar('test/modelcar', 'v1', TINY_MODEL);
  }, 60_000);
  afterAll(async () => reg?.stop());

  it('references: tag, digest, default latest; bad syntax is a typed error', () => {
    expect(parseOciReference('oci://127.0.0.1:5000/a/b-c:v1')).toEqual({ registry: '127.0.0.1:5000', repository: 'a/b-c', tag: 'v1' });
    expect(parseOciReference(`oci://r.io/a@${orasDigest}`)).toEqual({ registry: 'r.io', repository: 'a', digest: orasDigest });
    expect(parseOciReference('oci://r.io/a')).toEqual({ registry: 'r.io', repository: 'a', tag: 'latest' });
    for (const bad of ['oci://r.io', 'oci://r.io/A', 'oci://r.io/a:t@sha256:12', 'oci://r_io/a', 'oci://r.io/a/../b', 'oci://r.io/a:-x']) {
      expect(() => parseOciReference(bad), bad).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    }
  });

  it('ORAS artifact, manifest-signed: verifies by tag and by digest, hashing the blobs; the tag is pinned to the digest', async () => {
    const signed = await signOciManifest(orasBytes, 'tiny-model', signer);
    const byTag = await open('test/tiny-model:v1');
    expect(byTag.digest).toBe(orasDigest);
    expect(byTag.location).toBe(`oci://${reg.host}/test/tiny-model:v1@${orasDigest}`);
    const r = await verifyModel(byTag, signed.bundle, policy());
    expect(r.errors).toEqual([]);
    expect(statuses(r)).toEqual(['config.json:ok', 'model.safetensors:ok', 'tokenizer.json:ok']);
    expect(r.bytesHashed).toBe(2 + 19 + 17);
    const byDigest = await open(`test/tiny-model@${orasDigest}`);
    expect((await verifyModel(byDigest, signed.bundle, policy())).verified).toBe(true);
  });

  it('Go cross-verification over oci://: directory-signed needs --ignore-unsigned-files (config.json); manifest signed without config.json needs it ignored', async () => {
    const dirSig = await signModel(new MemorySource('model', TINY_MODEL), signer);
    const src = await open('test/tiny-model:v1');
    expect(src.viewFor(dirSig.manifest.resources.map((r) => r.path))).toBe('layers');
    const strict = await verifyModel(src, dirSig.bundle, policy());
    expect(strict.errors[0]).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'config.json' });
    expect((await verifyModel(src, dirSig.bundle, policy(), { ignoreUnsigned: true })).verified).toBe(true);
    const noConfig = await signOciManifest(orasBytes, 'tiny-model', signer, { ignorePaths: ['config.json'] });
    expect((await verifyModel(src, noConfig.bundle, policy(), { ignorePaths: ['config.json'] })).verified).toBe(true);
  });

  it('a manifest whose layer names another blob than the signed one: HASH_MISMATCH (the registry itself refuses lying digests)', async () => {
    const signed = await signOciManifest(orasBytes, 'tiny-model', signer);
    const a = orasArtifact({ ...TINY_MODEL, 'model.safetensors': 'evil-weights\n' });
    await pushImage(reg.url, 'test/tiny-model', 'evil', [a.config.bytes, ...a.layers.map((l) => l.bytes)], json(a.manifest));
    const r = await verifyModel(await open('test/tiny-model:evil'), signed.bundle, policy());
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => `${e.code}:${e.resource}`)).toEqual(['HASH_MISMATCH:model.safetensors']);
  });

  it('a missing layer blob is a typed registry error naming the blob and the status, never a pass', async () => {
    const a = orasArtifact({ 'lonely.bin': 'gone soon\n' });
    await pushImage(reg.url, 'test/missing', 'v1', [a.config.bytes, a.layers[0]!.bytes], json(a.manifest));
    const del = await fetch(`${reg.url}/v2/test/missing/blobs/${a.layers[0]!.digest}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const signed = await signOciManifest(json(a.manifest), 'missing', signer);
    const r = await verifyModel(await open('test/missing:v1'), signed.bundle, policy());
    expect(r.verified).toBe(false);
    expect(r.errors[0]!.code).toBe('REGISTRY_ERROR');
    expect(r.errors[0]!.message).toContain(`blob ${a.layers[0]!.digest}`);
    expect(r.errors[0]!.message).toContain('HTTP 404');
  });

  it('unknown tag → MODEL_NOT_FOUND naming registry, repository and reference; an index names its platform manifests', async () => {
    await expect(open('test/tiny-model:nope')).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining(`${reg.host}/test/tiny-model`),
    });
    const index = json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: orasDigest,
          size: orasBytes.byteLength,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    });
    await pushManifest(reg.url, 'test/tiny-model', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    await expect(open('test/tiny-model:multi')).rejects.toMatchObject({
      code: 'OCI_MANIFEST_INVALID',
      message: expect.stringContaining(`@${orasDigest} (linux/amd64)`),
    });
  });

  it('modelcar, manifest-signed: layer_000.tar.gz and config.json, blobs hashed', async () => {
    const signed = await signOciManifest(modelcarBytes, 'modelcar', signer);
    expect(signed.resources.map((r) => r.id)).toEqual(['config.json', 'layer_000.tar.gz']);
    const r = await verifyModel(await open('test/modelcar:v1'), signed.bundle, policy());
    expect(r.errors).toEqual([]);
    expect(statuses(r)).toEqual(['config.json:ok', 'layer_000.tar.gz:ok']);
  });

  it('modelcar, directory-signed: the tar entries under models/ stream through the serializer; a changed file fails', async () => {
    const dirSig = await signModel(new MemorySource('model', TINY_MODEL), signer);
    const src = await open('test/modelcar:v1');
    const view = src.viewFor(dirSig.manifest.resources.map((r) => r.path));
    expect(view).toBe('tar');
    const r = await verifyModel(src.withView(view), dirSig.bundle, policy());
    expect(r.errors).toEqual([]);
    expect(statuses(r)).toEqual(['model.safetensors:ok', 'tokenizer.json:ok']);

    await pushModelcar('test/modelcar', 'evil', { ...TINY_MODEL, 'tokenizer.json': 'tokenizer-config-evil\n' });
    const bad = await verifyModel((await open('test/modelcar:evil')).withView('tar'), dirSig.bundle, policy());
    expect(bad.errors.map((e) => `${e.code}:${e.resource}`)).toEqual(['HASH_MISMATCH:tokenizer.json']);
    const extra = await pushModelcar('test/modelcar', 'extra', { ...TINY_MODEL, 'notes.txt': 'unsigned\n' });
    expect(extra.byteLength).toBeGreaterThan(0);
    const ex = await verifyModel((await open('test/modelcar:extra')).withView('tar'), dirSig.bundle, policy());
    expect(ex.errors.map((e) => `${e.code}:${e.resource}`)).toEqual(['UNSIGNED_FILE:notes.txt']);
  });

  it('modelcar with two layers: later layers replace files, whiteouts delete them; files in tar order cost one pass per layer', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`shard-${String(i).padStart(2, '0')}.bin`] = `weights ${i}\n`.repeat(i + 1);
    const base = blob(await tarGz({ ...files, 'old.txt': 'deleted later\n', 'shard-05.bin': 'stale\n' }), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const top = blob(await tarGz({ '.wh.old.txt': '', 'shard-05.bin': files['shard-05.bin']! }), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const config = blob('{"os":"linux"}', 'application/vnd.oci.image.config.v1+json');
    const m = imageManifest([base, top], config);
    await pushImage(reg.url, 'test/modelcar', 'layers', [config.bytes, base.bytes, top.bytes], json(m));
    const dirSig = await signModel(new MemorySource('model', files), signer);
    let blobGets = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes('/blobs/')) blobGets++;
      return fetch(input, init);
    };
    const src = (await open('test/modelcar:layers', { fetch: counting })).withView('tar');
    const r = await verifyModel(src, dirSig.bundle, policy());
    expect(r.errors).toEqual([]);
    expect(r.resources).toHaveLength(30);
    expect(statuses(r).every((x) => x.endsWith(':ok'))).toBe(true);
    // Reads in tar order reuse one decoder per layer: listing reads both layers once, then one more pass each.
    const ordered = (await open('test/modelcar:layers', { fetch: counting })).withView('tar');
    blobGets = 0;
    for await (const e of ordered.list()) {
      const rd = ordered.open(e.path).getReader();
      while (!(await rd.read()).done);
    }
    expect(blobGets).toBe(2 + 2);
  });
});

/** A registry double: the distribution API's shapes (401 Bearer challenge, token endpoint, manifests, blobs), and lies on demand. */
function registryDouble(opts: { lieBlob?: boolean; lieManifest?: boolean; rateLimit?: boolean; token?: string }) {
  const a = orasArtifact();
  const manifest = json(a.manifest);
  const blobs = new Map([a.config, ...a.layers].map((b) => [b.digest, b.bytes]));
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? ''}`);
    if (url.pathname === '/token') {
      const basic = req.headers.authorization === `Basic ${btoa('alice:secret')}`;
      if (!basic || url.searchParams.get('scope') !== 'repository:test/tiny-model:pull' || url.searchParams.get('service') !== 'double') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: opts.token }));
      return;
    }
    if (opts.rateLimit) {
      res.writeHead(429, { 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      const port = (server.address() as AddressInfo).port;
      res
        .writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="double",scope="repository:test/tiny-model:pull"` })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const m = /^\/v2\/test\/tiny-model\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (m?.[1] === 'manifests') {
      const body = opts.lieManifest ? json({ ...a.manifest, annotations: { lie: 'yes' } }) : manifest;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digestOf(body) }).end(body);
      return;
    }
    if (m?.[1] === 'blobs' && blobs.has(m[2]!)) {
      const b = blobs.get(m[2]!)!;
      const lie = opts.lieBlob && m[2] === a.layers[0]!.digest;
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(lie ? enc('model-weights-evil') : b);
      return;
    }
    res.writeHead(404).end();
  });
  return {
    manifest,
    seen,
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('oci:// against a registry double', () => {
  it('a blob whose bytes differ from its descriptor: BLOB_DIGEST_MISMATCH (checked as it streams)', async () => {
    const d = registryDouble({ lieBlob: true });
    const host = await d.start();
    try {
      signer ??= keySigner(await readPrivateKey(refKey('signing-key.pem')));
      const signed = await signOciManifest(d.manifest, 'tiny-model', signer);
      const r = await verifyModel(await OciSource.open(`oci://${host}/test/tiny-model:v1`, { plainHttp: true }), signed.bundle, policy());
      expect(r.verified).toBe(false);
      expect(r.errors[0]!.code).toBe('BLOB_DIGEST_MISMATCH');
    } finally {
      await d.stop();
    }
  });

  it('a manifest that does not hash to the digest asked for: BLOB_DIGEST_MISMATCH', async () => {
    const d = registryDouble({ lieManifest: true });
    const host = await d.start();
    try {
      await expect(OciSource.open(`oci://${host}/test/tiny-model@${digestOf(d.manifest)}`, { plainHttp: true })).rejects.toMatchObject({
        code: 'BLOB_DIGEST_MISMATCH',
      });
    } finally {
      await d.stop();
    }
  });

  it('bearer-token auth: 401 challenge → token endpoint (Basic credentials, service, scope) → retried with the token', async () => {
    const d = registryDouble({ token: 'tok-123' });
    const host = await d.start();
    try {
      await expect(OciSource.open(`oci://${host}/test/tiny-model:v1`, { plainHttp: true })).rejects.toMatchObject({ code: 'REGISTRY_AUTH' });
      const src = await OciSource.open(`oci://${host}/test/tiny-model:v1`, { plainHttp: true, username: 'alice', password: 'secret' });
      const signed = await signOciManifest(d.manifest, 'tiny-model', signer);
      expect((await verifyModel(src, signed.bundle, policy())).verified).toBe(true);
      expect(d.seen.filter((s) => s.includes('Bearer tok-123')).length).toBeGreaterThanOrEqual(4);
      // Without --plain-http the challenge's http:// realm is refused (credentials never go over plain http).
      await expect(OciSource.open(`oci://${host}/test/tiny-model:v1`, { username: 'alice', password: 'secret' })).rejects.toMatchObject({
        code: 'REGISTRY_ERROR',
      });
    } finally {
      await d.stop();
    }
  });

  it('429 is REGISTRY_RATE_LIMITED naming the registry, repository and status', async () => {
    const d = registryDouble({ rateLimit: true });
    const host = await d.start();
    try {
      await expect(OciSource.open(`oci://${host}/test/tiny-model:v1`, { plainHttp: true })).rejects.toMatchObject({
        code: 'REGISTRY_RATE_LIMITED',
        message: expect.stringContaining(`${host}/test/tiny-model: HTTP 429 TOOMANYREQUESTS`),
      });
    } finally {
      await d.stop();
    }
  });
});
