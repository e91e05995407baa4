/**
 * The CLI over a real registry (Debian's docker-registry on 127.0.0.1): the Go script's flow end to end —
 * push an ORAS artifact, fetch its manifest to a file, sign that file, verify `oci://…:tag` and `@sha256:…`
 * with --plain-http — plus directory signatures against the artifact and a modelcar, and tampering.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTarPacker } from 'modern-tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, registryAvailable, startRegistry, type Registry } from '../helpers/oci-registry.js';
import { ensureCliBuilt, REF_KEYS, REPO, tempDir } from '../sign/helpers.js';
import { blob, enc, imageManifest, orasArtifact, TINY_MODEL } from './images.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
const K = (f: string) => path.join(REF_KEYS, f);
let reg: Registry;
let work: string;
let orasDigest: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const sign = (model: string, sig: string, ...extra: string[]) =>
  run(['sign', 'key', '--signature', sig, '--private-key', K('signing-key.pem'), ...extra, model]);
const verify = (model: string, sig: string, ...extra: string[]) =>
  run(['verify', 'key', '--signature', sig, '--public-key', K('signing-key-pub.pem'), '--plain-http', '--json', ...extra, model]);

async function modelcarLayer(files: Record<string, string>): Promise<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  for (const [name, data] of Object.entries(files)) {
    const w = controller.add({ name: `models/${name}`, size: enc(data).byteLength }).getWriter();
    await w.write(enc(data));
    await w.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}

describe.skipIf(!registryAvailable())('model-verify verify oci://', () => {
  beforeAll(async () => {
    await ensureCliBuilt();
    work = tempDir('mv-oci-cli-');
    mkdirSync(path.join(work, 'model'));
    for (const [n, d] of Object.entries(TINY_MODEL)) writeFileSync(path.join(work, 'model', n), d);
    reg = await startRegistry();
    const a = orasArtifact();
    orasDigest = await pushImage(reg.url, 'test/tiny-model', 'v1', [a.config.bytes, ...a.layers.map((l) => l.bytes)], enc(JSON.stringify(a.manifest)));
    const layer = blob(await modelcarLayer(TINY_MODEL), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const config = blob('{"architecture":"amd64","os":"linux"}', 'application/vnd.oci.image.config.v1+json');
    await pushImage(reg.url, 'test/modelcar', 'v1', [config.bytes, layer.bytes], enc(JSON.stringify(imageManifest([layer], config))));
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('sign the fetched manifest → verify oci://…:tag and @digest (pinned in the report); directory signature with --ignore-unsigned-files', async () => {
    const res = await fetch(`${reg.url}/v2/test/tiny-model/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = path.join(work, 'oci-manifest.json');
    writeFileSync(manifest, new Uint8Array(await res.arrayBuffer()));
    const sig = path.join(work, 'manifest.sig');
    expect(sign(manifest, sig).code).toBe(0);
    const byTag = verify(`oci://${reg.host}/test/tiny-model:v1`, sig);
    expect(byTag.code, byTag.err + byTag.out).toBe(0);
    const report = JSON.parse(byTag.out);
    expect(report.model.source).toBe(`oci://${reg.host}/test/tiny-model:v1@${orasDigest}`);
    expect(report.resources.map((r: { name: string }) => r.name)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(verify(`oci://${reg.host}/test/tiny-model@${orasDigest}`, sig).code).toBe(0);

    const dirSig = path.join(work, 'dir.sig');
    expect(sign(path.join(work, 'model'), dirSig).code).toBe(0);
    expect(verify(`oci://${reg.host}/test/tiny-model:v1`, dirSig).code).toBe(1);
    expect(verify(`oci://${reg.host}/test/tiny-model:v1`, dirSig, '--ignore-unsigned-files').code).toBe(0);
    // A modelcar: the directory signature is checked against the files in its tar layer.
    const car = verify(`oci://${reg.host}/test/modelcar:v1`, dirSig);
    expect(car.code, car.err + car.out).toBe(0);
    expect(JSON.parse(car.out).resources.map((r: { name: string; status: string }) => `${r.name}:${r.status}`)).toEqual([
      'model.safetensors:ok',
      'tokenizer.json:ok',
    ]);
    // The manifest signature does not match the modelcar.
    const wrong = verify(`oci://${reg.host}/test/modelcar:v1`, sig);
    expect(wrong.code).toBe(1);
  });

  it('download oci://…: the artifact and the modelcar land in DEST only as verified files', () => {
    const sig = path.join(work, 'manifest.sig');
    const dest = path.join(work, 'dl-artifact');
    const d = run(['download', `oci://${reg.host}/test/tiny-model:v1`, dest, '--signature', sig, '--public-key', K('signing-key-pub.pem'), '--plain-http']);
    expect(d.code, d.err + d.out).toBe(0);
    expect(readFileSync(path.join(dest, 'model.safetensors'), 'utf8')).toBe(TINY_MODEL['model.safetensors']);
    expect(readFileSync(path.join(dest, 'config.json'), 'utf8')).toBe('{}');
    const car = path.join(work, 'dl-modelcar');
    const c = run([
      'download',
      `oci://${reg.host}/test/modelcar:v1`,
      car,
      '--signature',
      path.join(work, 'dir.sig'),
      '--public-key',
      K('signing-key-pub.pem'),
      '--plain-http',
    ]);
    expect(c.code, c.err + c.out).toBe(0);
    expect(
      readdirSync(car)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['model.safetensors', 'model.sig', 'tokenizer.json']); // download keeps the signature beside the model
    expect(readFileSync(path.join(car, 'tokenizer.json'), 'utf8')).toBe(TINY_MODEL['tokenizer.json']);
  });

  it('typed errors: no --signature, https to a plain-http registry, unknown tag', () => {
    const noSig = run(['verify', 'key', '--public-key', K('signing-key-pub.pem'), '--plain-http', '--json', `oci://${reg.host}/test/tiny-model:v1`]);
    expect(JSON.parse(noSig.out).errors[0].code).toBe('INPUT_MISSING');
    const https = run(['verify', 'key', '--signature', 'x.sig', '--public-key', K('signing-key-pub.pem'), '--json', `oci://${reg.host}/test/tiny-model:v1`]);
    expect(JSON.parse(https.out).errors[0].code).toBe('REGISTRY_ERROR');
    const unknown = verify(`oci://${reg.host}/test/tiny-model:nope`, 'x.sig');
    expect(JSON.parse(unknown.out).errors[0]).toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('manifest nope') });
  });
});
