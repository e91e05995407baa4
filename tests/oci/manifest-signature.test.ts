/**
 * OCI image manifest signatures, the Go port's rules and its cross-verification flows
 * (model-transparency-go scripts/tests/test-oci-manifest.sh) through the built CLI, plus hostile manifests in core.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildOciManifestPayload,
  keySigner,
  looksLikeImageManifest,
  parseImageManifest,
  publicKeyFromPem,
  readPrivateKey,
  signOciManifest,
  verifyOciManifest,
} from '../../core/index.js';
import { ensureCliBuilt, REF_KEYS, REPO, refKey, tempDir } from '../sign/helpers.js';
import { blob, enc, imageManifest, orasArtifact, sha256, TINY_MODEL } from './images.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
const K = (f: string) => path.join(REF_KEYS, f);

let work: string;
let modelDir: string;
let manifestPath: string;
beforeAll(async () => {
  await ensureCliBuilt();
  work = tempDir('mv-oci-manifest-');
  modelDir = path.join(work, 'model');
  mkdirSync(modelDir);
  for (const [name, data] of Object.entries(TINY_MODEL)) writeFileSync(path.join(modelDir, name), data);
  manifestPath = path.join(work, 'oci-manifest.json');
  writeFileSync(manifestPath, JSON.stringify(orasArtifact().manifest, null, 2));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const statementOf = (sig: string) => JSON.parse(Buffer.from(JSON.parse(readFileSync(sig, 'utf8')).dsseEnvelope.payload, 'base64').toString('utf8'));
const signKey = (model: string, sig: string, ...extra: string[]) =>
  run(['sign', 'key', '--signature', sig, '--private-key', K('signing-key.pem'), ...extra, model]);
const verifyKey = (model: string, sig: string, ...extra: string[]) =>
  run(['verify', 'key', '--signature', sig, '--public-key', K('signing-key-pub.pem'), '--json', ...extra, model]);

describe('Go port cross-verification (key, as test-oci-manifest.sh)', () => {
  it('Test 1: sign the manifest with --ignore-paths config.json → verify the directory', () => {
    const sig = path.join(work, 'sig-key-manifest');
    const s = signKey(manifestPath, sig, '--ignore-paths', 'config.json');
    expect(s.code, s.err).toBe(0);
    const st = statementOf(sig);
    expect(st.subject[0].name).toBe('oci-manifest');
    expect(st.predicate.serialization).toEqual({ method: 'files', hash_type: 'sha256', allow_symlinks: false });
    expect(st.predicate.resources).toEqual([
      { name: 'model.safetensors', algorithm: 'sha256', digest: sha256(TINY_MODEL['model.safetensors']!).slice(7) },
      { name: 'tokenizer.json', algorithm: 'sha256', digest: sha256(TINY_MODEL['tokenizer.json']!).slice(7) },
    ]);
    const v = verifyKey(modelDir, sig);
    expect(v.code, v.err + v.out).toBe(0);
    // And against the manifest itself (config.json is ignored as at signing time).
    expect(verifyKey(manifestPath, sig, '--ignore-paths', 'config.json').code).toBe(0);
  });

  it('Test 2: sign the directory → verify the manifest with --ignore-unsigned-files (config.json is unsigned)', () => {
    const sig = path.join(work, 'sig-key-dir');
    expect(signKey(modelDir, sig).code).toBe(0);
    const v = verifyKey(manifestPath, sig, '--ignore-unsigned-files');
    expect(v.code, v.err + v.out).toBe(0);
    const report = JSON.parse(v.out);
    expect(report.verified).toBe(true);
    expect(report.bytesHashed).toBe(0);
    expect(report.resources.map((r: { name: string; status: string }) => `${r.name}:${r.status}`)).toEqual([
      'model.safetensors:ok',
      'tokenizer.json:ok',
      'config.json:unsigned',
    ]);
    // Without it, the config blob is an unsigned extra file.
    const strict = verifyKey(manifestPath, sig);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.out).errors[0]).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'config.json' });
  });

  it('a manifest signed without ignoring config.json covers the config blob: the directory lacks it', () => {
    const sig = path.join(work, 'sig-key-manifest-full');
    expect(signKey(manifestPath, sig).code).toBe(0);
    expect(statementOf(sig).predicate.resources.map((r: { name: string }) => r.name)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(verifyKey(manifestPath, sig).code).toBe(0);
    const v = verifyKey(modelDir, sig);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.out).errors[0]).toMatchObject({ code: 'MISSING_FILE', resource: 'config.json' });
  });

  it('Test 7: a tampered model file fails against the manifest signature; a manifest whose layer digest changed fails too', () => {
    const sig = path.join(work, 'sig-key-manifest');
    const tampered = path.join(work, 'tampered');
    mkdirSync(tampered, { recursive: true });
    writeFileSync(path.join(tampered, 'model.safetensors'), `${TINY_MODEL['model.safetensors']}tampered-data\n`);
    writeFileSync(path.join(tampered, 'tokenizer.json'), TINY_MODEL['tokenizer.json']!);
    const v = verifyKey(tampered, sig);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.out).errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });

    const m = orasArtifact().manifest as { layers: { digest: string }[] };
    m.layers[0]!.digest = sha256('something else');
    const lying = path.join(work, 'lying-manifest.json');
    writeFileSync(lying, JSON.stringify(m));
    const w = verifyKey(lying, sig, '--ignore-paths', 'config.json');
    expect(w.code).toBe(1);
    expect(JSON.parse(w.out).errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
  });

  it('a bad manifest is a typed error when signing and verifying; a .json that is no manifest stays a plain file', () => {
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...orasArtifact().manifest, layers: [{ mediaType: 'x', digest: 'sha256:abc', size: 1 }] }));
    const s = signKey(bad, path.join(work, 'bad.sig'));
    expect(s.code).toBe(1);
    expect(s.err).toContain('[OCI_MANIFEST_INVALID]');
    const v = verifyKey(bad, path.join(work, 'sig-key-dir'));
    expect(JSON.parse(v.out).errors[0].code).toBe('OCI_MANIFEST_INVALID');

    const sharded = signKey(manifestPath, path.join(work, 'sharded.sig'), '--use-shards');
    expect(sharded.code).toBe(1);
    expect(sharded.err).toContain('[SERIALIZATION_UNSUPPORTED]');

    const plain = path.join(work, 'config.json');
    writeFileSync(plain, '{"architectures": ["Bert"], "layers": 12}');
    const sig = path.join(work, 'plain.sig');
    expect(signKey(plain, sig).code).toBe(0);
    expect(statementOf(sig).predicate.resources.map((r: { name: string }) => r.name)).toEqual(['.']); // a single-file model
    expect(statementOf(sig).predicate.resources[0].digest).toBe(sha256(readFileSync(plain)).slice(7));
  });
});

describe('core: manifest resources by the Go port rules', () => {
  const m = (layers: unknown[], extra: Record<string, unknown> = {}) =>
    enc(
      JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 }, layers, ...extra }),
    );
  const layer = (data: string, title?: string) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256(data),
    size: data.length,
    ...(title !== undefined ? { annotations: { 'org.opencontainers.image.title': title } } : {}),
  });

  it('untitled layers are layer_%03d.tar.gz by index, empty titles too; code point order; a config.json layer replaces the config blob', async () => {
    const { payload } = await buildOciManifestPayload(
      m([layer('a'), layer('b', 'z/w.bin'), layer('c', ''), layer('d', 'config.json'), layer('e', 'é')]),
      'img',
    );
    const st = JSON.parse(new TextDecoder().decode(payload));
    expect(st.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['config.json', 'layer_000.tar.gz', 'layer_002.tar.gz', 'z/w.bin', 'é']);
    expect(st.predicate.resources[0].digest).toBe(sha256('d').slice(7));
  });

  it('ignore paths match by name, base name and directory prefix (Go shouldIgnoreLayer)', async () => {
    const bytes = m([layer('a', 'w/model.bin'), layer('b', 'w/sub/x.bin'), layer('c', 'deep/config.json'), layer('d', 'keep')]);
    const names = async (ignorePaths: string[]) =>
      JSON.parse(new TextDecoder().decode((await buildOciManifestPayload(bytes, 'n', { ignorePaths })).payload)).predicate.resources.map(
        (r: { name: string }) => r.name,
      );
    expect(await names(['model.bin'])).toEqual(['config.json', 'deep/config.json', 'keep', 'w/sub/x.bin']);
    expect(await names(['w'])).toEqual(['config.json', 'deep/config.json', 'keep']);
    expect(await names(['./x/config.json'])).toEqual(['keep', 'w/model.bin', 'w/sub/x.bin']);
  });

  const invalid: [string, unknown][] = [
    ['schemaVersion 1', { schemaVersion: 1, config: layer('x'), layers: [layer('a')] }],
    ['an image index', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', config: layer('x'), layers: [layer('a')] }],
    ['a foreign media type', { schemaVersion: 2, mediaType: 'text/html', config: layer('x'), layers: [layer('a')] }],
    ['no layers', { schemaVersion: 2, config: layer('x'), layers: [] }],
    ['no config', { schemaVersion: 2, layers: [layer('a')] }],
    ['a sha512 digest', { schemaVersion: 2, config: layer('x'), layers: [{ ...layer('a'), digest: `sha512:${'0'.repeat(128)}` }] }],
    ['uppercase hex', { schemaVersion: 2, config: layer('x'), layers: [{ ...layer('a'), digest: sha256('a').toUpperCase().replace('SHA256', 'sha256') }] }],
    ['a negative size', { schemaVersion: 2, config: layer('x'), layers: [{ ...layer('a'), size: -1 }] }],
    ['a fractional size', { schemaVersion: 2, config: layer('x'), layers: [{ ...layer('a'), size: 1.5 }] }],
    ['an absolute title', { schemaVersion: 2, config: layer('x'), layers: [layer('a', '/etc/passwd')] }],
    ['a .. title', { schemaVersion: 2, config: layer('x'), layers: [layer('a', 'w/../../x')] }],
    ['a backslash title', { schemaVersion: 2, config: layer('x'), layers: [layer('a', 'w\\x')] }],
    ['an empty segment', { schemaVersion: 2, config: layer('x'), layers: [layer('a', 'w//x')] }],
    ['a control character', { schemaVersion: 2, config: layer('x'), layers: [layer('a', 'w\nx')] }],
    ['duplicate titles', { schemaVersion: 2, config: layer('x'), layers: [layer('a', 'x'), layer('b', 'x')] }],
    ['a title equal to a fallback name', { schemaVersion: 2, config: layer('x'), layers: [layer('a'), layer('b', 'layer_000.tar.gz')] }],
    ['a non-string annotation', { schemaVersion: 2, config: layer('x'), layers: [{ ...layer('a'), annotations: { 'org.opencontainers.image.title': 7 } }] }],
    ['too many layers', { schemaVersion: 2, config: layer('x'), layers: Array.from({ length: 10_001 }, (_, i) => layer(String(i), `f${i}`)) }],
  ];
  it.each(invalid)('refuses %s (OCI_MANIFEST_INVALID)', async (_, v) => {
    await expect(buildOciManifestPayload(enc(JSON.stringify(v)), 'n')).rejects.toMatchObject({ code: 'OCI_MANIFEST_INVALID' });
  });

  it('refuses duplicate JSON keys, a manifest over 4 MiB, and non-UTF-8', async () => {
    const dup = '{"schemaVersion":2,"layers":[],"layers":[' + JSON.stringify(layer('a')) + '],"config":' + JSON.stringify(layer('x')) + '}';
    expect(() => parseImageManifest(enc(dup))).toThrow(expect.objectContaining({ code: 'OCI_MANIFEST_INVALID' }));
    const big = enc(JSON.stringify({ schemaVersion: 2, config: layer('x'), layers: [layer('a')], pad: 'x'.repeat(4 << 20) }));
    expect(() => parseImageManifest(big)).toThrow(expect.objectContaining({ code: 'OCI_MANIFEST_INVALID' }));
    expect(looksLikeImageManifest(big)).toBe(false);
    expect(() => parseImageManifest(new Uint8Array([0xff, 0xfe]))).toThrow(expect.objectContaining({ code: 'OCI_MANIFEST_INVALID' }));
  });

  it('verifyOciManifest: a blake2b directory signature cannot be checked against sha256 descriptors (typed, never a pass)', async () => {
    const signer = keySigner(await readPrivateKey(refKey('signing-key.pem')));
    const { signModel, MemorySource } = await import('../../core/index.js');
    const dirSig = await signModel(new MemorySource('model', TINY_MODEL), signer, { hashType: 'blake2b' });
    const bytes = enc(JSON.stringify(orasArtifact().manifest));
    const policy = { method: 'key' as const, publicKey: refKey('signing-key-pub.pem') };
    const r = await verifyOciManifest(bytes, 'oci-manifest', dirSig.bundle, policy, { ignoreUnsigned: true });
    expect(r.verified).toBe(false);
    expect(r.errors[0]!.code).toBe('SERIALIZATION_UNSUPPORTED');
    // The sha256 one verifies; a wrong key does not.
    const ok = await signOciManifest(bytes, 'oci-manifest', signer);
    expect((await verifyOciManifest(bytes, 'oci-manifest', ok.bundle, policy)).verified).toBe(true);
    expect(publicKeyFromPem).toBeTypeOf('function');
    const other = imageManifest([blob('x', 'application/octet-stream', 'model.safetensors')]);
    const r2 = await verifyOciManifest(enc(JSON.stringify(other)), 'oci-manifest', ok.bundle, policy);
    expect(r2.errors.map((e) => `${e.code}:${e.resource}`)).toEqual(['MISSING_FILE:tokenizer.json', 'HASH_MISMATCH:model.safetensors']);
  });
});
