/**
 * core/oci and the oci:// source are web-standard: the same sign → verify round trips in Node, Chromium and
 * workerd. The registry here is a `fetch` function answering the distribution API's shapes from memory (no server
 * can run inside a browser test); the real registry is exercised in registry-source.test.ts.
 */
import { createTarPacker } from 'modern-tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { keySigner, MemorySource, OciSource, readPrivateKey, signModel, signOciManifest, verifyModel, verifyOciManifest } from '../../core/index.js';
import PRIVATE_KEY from '../fixtures/model-transparency/scripts/tests/keys/certificate/signing-key.pem?raw';
import PUBLIC_KEY from '../fixtures/model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem?raw';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const digest = async (b: Uint8Array) => `sha256:${hex(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>))}`;
const FILES: Record<string, string> = { 'model.safetensors': 'model-weights-data\n', 'tokenizer.json': 'tokenizer-config\n' };
const policy = { method: 'key' as const, publicKey: PUBLIC_KEY };

async function image(layers: { bytes: Uint8Array; mediaType: string; title?: string }[], mediaType = 'application/vnd.oci.image.manifest.v1+json') {
  const config = enc('{}');
  const blobs = new Map<string, Uint8Array>([[await digest(config), config]]);
  const descs = [];
  for (const l of layers) {
    const d = await digest(l.bytes);
    blobs.set(d, l.bytes);
    descs.push({
      mediaType: l.mediaType,
      digest: d,
      size: l.bytes.byteLength,
      ...(l.title ? { annotations: { 'org.opencontainers.image.title': l.title } } : {}),
    });
  }
  const manifest = enc(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await digest(config), size: 2 },
      layers: descs,
    }),
  );
  const fetchDouble: typeof fetch = async (input) => {
    const url = new URL(String(input));
    const m = /^\/v2\/demo\/model\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (m?.[1] === 'manifests' && (m[2] === 'v1' || m[2] === (await digest(manifest)))) {
      return new Response(manifest as Uint8Array<ArrayBuffer>, { headers: { 'content-type': mediaType } });
    }
    const b = m?.[1] === 'blobs' ? blobs.get(m[2]!) : undefined;
    return b ? new Response(b as Uint8Array<ArrayBuffer>) : new Response('{"errors":[{"code":"BLOB_UNKNOWN"}]}', { status: 404 });
  };
  return { manifest, fetchDouble };
}

async function modelcarLayer(): Promise<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  for (const [name, data] of Object.entries(FILES)) {
    const w = controller.add({ name: `models/${name}`, size: enc(data).byteLength }).getWriter();
    await w.write(enc(data));
    await w.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}

beforeAll(async () => {
  // workerd refuses runtime wasm compilation: use its statically imported hashers, as the Worker does.
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('OCI, web-standard', () => {
  it('manifest signature: sign, verify the manifest, verify the artifact over the distribution API', async () => {
    const signer = keySigner(await readPrivateKey(PRIVATE_KEY));
    const { manifest, fetchDouble } = await image(Object.entries(FILES).map(([title, d]) => ({ bytes: enc(d), mediaType: 'application/octet-stream', title })));
    const signed = await signOciManifest(manifest, 'model', signer);
    expect((await verifyOciManifest(manifest, 'model', signed.bundle, policy)).verified).toBe(true);
    const src = await OciSource.open('oci://registry.test/demo/model:v1', { fetch: fetchDouble });
    const r = await verifyModel(src, signed.bundle, policy);
    expect(r.errors).toEqual([]);
    expect(r.resources.map((x) => x.name)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
  });

  it('modelcar: a directory signature verifies against the gzip tar layer (DecompressionStream + modern-tar)', async () => {
    const signer = keySigner(await readPrivateKey(PRIVATE_KEY));
    const { fetchDouble } = await image([{ bytes: await modelcarLayer(), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]);
    const dirSig = await signModel(new MemorySource('model', FILES), signer);
    const src = await (await OciSource.open('oci://registry.test/demo/model:v1', { fetch: fetchDouble })).forSignature(dirSig.bundle);
    expect(src.view).toBe('tar');
    const r = await verifyModel(src, dirSig.bundle, policy);
    expect(r.errors).toEqual([]);
    expect(r.resources.map((x) => `${x.name}:${x.status}`)).toEqual(['model.safetensors:ok', 'tokenizer.json:ok']);
  });

  it('Docker schema 2 images (manifest and rootfs.diff.tar.gzip layer media types) read the same way', async () => {
    const signer = keySigner(await readPrivateKey(PRIVATE_KEY));
    const { fetchDouble } = await image(
      [{ bytes: await modelcarLayer(), mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const dirSig = await signModel(new MemorySource('model', FILES), signer);
    const src = await (await OciSource.open('oci://registry.test/demo/model:v1', { fetch: fetchDouble })).forSignature(dirSig.bundle);
    expect(src.view).toBe('tar');
    expect((await verifyModel(src, dirSig.bundle, policy)).verified).toBe(true);
  });
});
