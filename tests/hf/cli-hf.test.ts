/** `model-verify verify hf://org/model` with HF_ENDPOINT at the Hub double (the built CLI, a real loopback Hub). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, PUB_KEY, SCRIPTS } from '../helpers/fixtures.js';
import { publishSigned, sampleModel, type Published } from './publish.js';
import { serveHub, type ServedHub } from './hub-server.js';

let s: ServedHub;
let tmp: string;
let golden: string;
beforeAll(async () => {
  s = await serveHub();
  tmp = mkdtempSync(path.join(tmpdir(), 'mv-hf-cli-'));
  // The reference's own v1.1.0 key golden (signed by model_signing), every file stored with LFS.
  const dir = path.join(SCRIPTS, 'v1.1.0-elliptic-key');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(path.join(dir, f)))]));
  const lfs = (p: string) => p !== 'model.sig';
  golden = await s.hub.commit('ref/golden', files, { lfs });
  await s.hub.commit('ref/golden', { ...files, 'evil.py': 'import os\n' }, { branch: 'with-extra', lfs });
});
afterAll(() => s.close());

/** Runs the CLI asynchronously (the Hub double lives in this process). */
function mv(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: '1', HF_ENDPOINT: s.endpoint, HF_TOKEN: '', ...env } },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const keyFile = (p: Published) => {
  const f = path.join(tmp, `${p.commit}.pub`);
  writeFileSync(f, p.publicKeyPem);
  return f;
};

describe('verify hf://', () => {
  test("the reference's golden on the Hub: verified at the resolved commit, the Hub's claim shown apart", async () => {
    const r = await mv(['verify', 'hf://ref/golden', '--public-key', PUB_KEY, '--ignore-paths', 'ignore-me']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Verification succeeded');
    expect(r.stdout).toContain(`revision:  main = commit ${golden}`);
    expect(r.stdout).toMatch(/hub claim: The Hub's files match the signature: 2 LFS files/);
    const j = JSON.parse((await mv(['verify', 'hf://ref/golden', '--public-key', PUB_KEY, '--ignore-paths', 'ignore-me', '--json'])).stdout);
    expect(j.verified).toBe(true);
    expect(j.model).toMatchObject({ name: 'golden', source: `hf://ref/golden@${golden}`, listable: true, revision: { requested: 'main', commit: golden } });
    expect(j.model.remoteClaim).toMatchObject({ by: 'hf', status: 'match', checked: 2 });
    // Another branch adds an unsigned file: the listing finds it.
    const extra = await mv(['verify', 'hf://ref/golden@with-extra', '--public-key', PUB_KEY, '--ignore-paths', 'ignore-me']);
    expect(extra.status).toBe(1);
    expect(extra.stderr).toContain('[UNSIGNED_FILE]');
  });

  test('a model signed by our signer; --signature as a path in the repository, as a URL and as a local file', async () => {
    const p = await publishSigned(s.hub, 'org/ours', sampleModel(), { extra: { 'sigs/other.sig': 'x' } });
    const key = keyFile(p);
    const first = await mv(['verify', `hf://org/ours@${p.commit}`, '--public-key', key, '--ignore-paths', 'sigs']);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const url = `${s.endpoint}/org/ours/resolve/${p.commit}/model.sig`;
    // The repository's model.sig named as a URL is then an ordinary file of the repo: ignore it like any other.
    expect(
      (await mv(['verify', 'hf://org/ours', '--public-key', key, '--signature', url, '--ignore-paths', 'model.sig', '--ignore-paths', 'sigs'])).status,
    ).toBe(0);
    const local = path.join(tmp, 'local.sig');
    writeFileSync(local, p.bundle);
    expect(
      (await mv(['verify', 'hf://org/ours', '--public-key', key, '--signature', local, '--ignore-paths', 'model.sig', '--ignore-paths', 'sigs'])).status,
    ).toBe(0);
    const wrong = await mv(['verify', 'hf://org/ours', '--public-key', key, '--signature', 'sigs/other.sig', '--ignore-paths', 'model.sig']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('[BUNDLE_MALFORMED]');
    const none = await mv(['verify', 'hf://org/ours', '--public-key', key, '--signature', 'nope/model.sig']);
    expect(none.stderr).toMatch(/has no 'nope\/model.sig'/);
  });

  test('precheck mismatch fails before anything is downloaded', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/replaced', files);
    await s.hub.commit('org/replaced', { ...files, 'model.safetensors': new Uint8Array(5000).fill(3), 'model.sig': p.bundle });
    s.hub.log.length = 0;
    const r = await mv(['verify', 'hf://org/replaced', '--public-key', keyFile(p), '--json']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.verified).toBe(false);
    expect(j.errors[0]).toMatchObject({ code: 'HASH_MISMATCH' });
    expect(j.errors[1]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
    expect(j.model.remoteClaim).toMatchObject({ status: 'mismatch', differ: [expect.objectContaining({ name: 'model.safetensors' })] });
    expect(j.bytesHashed).toBe(0);
    // Only the signature was fetched: no weight bytes, no CDN request.
    expect(s.hub.log.filter((l) => l.origin === 'cdn')).toEqual([]);
    expect(s.hub.log.filter((l) => l.path.includes('/resolve/')).map((l) => l.path.split('/').at(-1))).toEqual(['model.sig']);
    const text = await mv(['verify', 'hf://org/replaced', '--public-key', keyFile(p)]);
    expect(text.stderr).toMatch(/do NOT match the signature/);
    expect(text.stderr).toContain('hub claim:');
  });

  test('tampered bytes on the CDN: the Hub claims a match, hashing says no', async () => {
    const files = sampleModel();
    const p = await publishSigned(s.hub, 'org/cdn-tampered', files);
    const { sha256Hex } = await import('../helpers/hub-double.js');
    const bad = (files['model.safetensors'] as Uint8Array).slice();
    bad[7]! ^= 0x40;
    s.hub.cdnOverride.set(await sha256Hex(files['model.safetensors'] as Uint8Array), bad);
    try {
      const r = await mv(['verify', 'hf://org/cdn-tampered', '--public-key', keyFile(p)]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Hash mismatch for 'model.safetensors'/);
      expect(r.stderr).toContain("hub claim: The Hub's files match the signature");
    } finally {
      s.hub.cdnOverride.clear();
    }
  });

  test('gated: without HF_TOKEN an access error (exit 1, no verdict); with it verified', async () => {
    const p = await publishSigned(s.hub, 'org/gated', sampleModel(), { token: 'hf_cli_token' });
    const no = await mv(['verify', 'hf://org/gated', '--public-key', keyFile(p), '--json']);
    expect(no.status).toBe(1);
    const j = JSON.parse(no.stdout);
    expect(j.errors[0].code).toBe('IO_ERROR');
    expect(j.errors[0].message).toMatch(/org\/gated@main: HTTP 401.*HF_TOKEN.*not a verdict/);
    expect(j.signer).toBeUndefined();
    const yes = await mv(['verify', 'hf://org/gated', '--public-key', keyFile(p)], { HF_TOKEN: 'hf_cli_token' });
    expect(yes.status).toBe(0);
  });
});
