/**
 * `model-verify download SOURCE DEST` (the built CLI) from the Hub double on loopback: verified copies, tampering,
 * interrupted and resumed downloads, subsets, shards, and a hostile DEST.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, PUB_KEY, SCRIPTS } from '../helpers/fixtures.js';
import { sha256Hex } from '../helpers/hub-double.js';
import { serveHub, type ServedHub } from '../hf/hub-server.js';
import { publishSigned, type Published } from '../hf/publish.js';

let s: ServedHub;
let tmp: string;
beforeAll(async () => {
  s = await serveHub();
  tmp = mkdtempSync(path.join(tmpdir(), 'mv-download-'));
});
afterAll(() => s.close());

const weights = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 7) % 251);
const model = () => ({
  'config.json': '{"layers":2}\n',
  'model-00001.safetensors': weights(300_000, 31),
  'model-00002.safetensors': weights(200_000, 17),
  'tokenizer/vocab.txt': 'a\nb\nc\n',
});

function mv(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', HF_ENDPOINT: s.endpoint, ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const keyFile = (p: Published) => {
  const f = path.join(tmp, `${p.commit}.pub`);
  writeFileSync(f, p.publicKeyPem);
  return f;
};
const fresh = (name: string) => path.join(mkdtempSync(path.join(tmp, `${name}-`)), 'dest');
/** Every entry under `dir`, relative, sorted (dot entries included). */
const tree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
const cdnFetches = () => s.hub.log.filter((l) => l.origin === 'cdn').map((l) => l.path.split('?')[0]!);

describe('download', () => {
  test('a verified copy: every file in DEST, the signature beside them, DEST verifies locally', async () => {
    const files = model();
    const p = await publishSigned(s.hub, 'dl/good', files);
    const dest = fresh('good');
    const r = await mv(['download', 'hf://dl/good', dest, '--public-key', keyFile(p)]);
    expect(r.stderr).toContain('downloaded model-00001.safetensors');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Verification succeeded');
    expect(r.stdout).toMatch(/Downloaded into .*: 4 fetched, 0 already present/);
    expect(tree(dest)).toEqual(['config.json', 'model-00001.safetensors', 'model-00002.safetensors', 'model.sig', 'tokenizer/vocab.txt']);
    expect(new Uint8Array(readFileSync(path.join(dest, 'model-00001.safetensors')))).toEqual(files['model-00001.safetensors']);
    const local = await mv(['verify', dest, '--public-key', keyFile(p)]);
    expect(local.status).toBe(0);
  });

  test("any source: the reference's golden from a local path (the signature copied beside it)", async () => {
    const dest = fresh('local');
    const r = await mv(['download', path.join(SCRIPTS, 'v1.1.0-elliptic-key'), dest, '--public-key', PUB_KEY]);
    expect(r.status).toBe(0);
    expect(tree(dest)).toEqual(['model.sig', 'signme-1', 'signme-2']); // ignore-me is ignored by the signature itself
    expect((await mv(['verify', dest, '--public-key', PUB_KEY])).status).toBe(0);
  });

  test('a tampered file on the server: DEST is left without it, exit 1', async () => {
    const files = model();
    const p = await publishSigned(s.hub, 'dl/tampered', files);
    const bad = (files['model-00002.safetensors'] as Uint8Array).slice();
    bad[12345]! ^= 1;
    s.hub.cdnOverride.set(await sha256Hex(files['model-00002.safetensors'] as Uint8Array), bad);
    try {
      const dest = fresh('tampered');
      const r = await mv(['download', 'hf://dl/tampered', dest, '--public-key', keyFile(p)]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Hash mismatch for 'model-00002.safetensors'/);
      expect(r.stderr).toContain('Nothing unverified was written');
      // The verified files are there; the tampered one and the signature are not; no temporary file is left.
      expect(tree(dest)).toEqual(['config.json', 'model-00001.safetensors', 'tokenizer/vocab.txt']);
    } finally {
      s.hub.cdnOverride.clear();
    }
  });

  test('a server that drops mid-download: exit 1, nothing unverified in DEST; the next run completes', async () => {
    const files = model();
    const p = await publishSigned(s.hub, 'dl/drops', files);
    const dest = fresh('drops');
    // The 300 kB file breaks off after 250 kB, late (the 200 kB one has come whole by then).
    const big = `/blobs/${await sha256Hex(files['model-00001.safetensors'] as Uint8Array)}`;
    s.dropAfter = 250_000;
    s.hub.beforeCdn = (p) => (p === big ? new Promise((r) => setTimeout(r, 1500)) : undefined);
    let first;
    try {
      first = await mv(['download', 'hf://dl/drops', dest, '--public-key', keyFile(p)]);
    } finally {
      s.dropAfter = undefined;
      s.hub.beforeCdn = undefined;
    }
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/IO_ERROR|broke off|MODEL_CHANGED/);
    // No model path holds anything; only complete (still unverified) copies wait in the hidden partial directory.
    for (const f of tree(dest)) expect(f.startsWith('.model-verify-partial/') && f.endsWith('.done')).toBe(true);
    const waiting = tree(dest).filter((f) => f.endsWith('.done')).length;
    s.hub.log.length = 0;
    const second = await mv(['download', 'hf://dl/drops', dest, '--public-key', keyFile(p)]);
    expect(second.status).toBe(0);
    expect(tree(dest)).toEqual(['config.json', 'model-00001.safetensors', 'model-00002.safetensors', 'model.sig', 'tokenizer/vocab.txt']);
    // What the first run completed was re-hashed from disk, not fetched again.
    expect(first.stderr).toContain('downloaded model-00002.safetensors');
    expect(waiting).toBeGreaterThan(0);
    expect(second.stderr).toContain('re-hashing (resumed) model-00002.safetensors');
    expect(cdnFetches()).toEqual([big]);
  });

  test('killed mid-download, then resumed', async () => {
    const p = await publishSigned(s.hub, 'dl/killed', model());
    const dest = fresh('killed');
    const child = spawn(process.execPath, [CLI, 'download', 'hf://dl/killed', dest, '--public-key', keyFile(p)], {
      env: { ...process.env, HF_ENDPOINT: s.endpoint },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    s.hub.beforeCdn = async () => {
      child.kill('SIGKILL');
      await exited;
    };
    try {
      expect(await exited).toBeNull();
    } finally {
      s.hub.beforeCdn = undefined;
    }
    for (const f of existsSync(dest) ? tree(dest) : []) expect(f.startsWith('.model-verify-partial/')).toBe(true);
    const r = await mv(['download', 'hf://dl/killed', dest, '--public-key', keyFile(p)]);
    expect(r.status).toBe(0);
    expect(tree(dest)).toEqual(['config.json', 'model-00001.safetensors', 'model-00002.safetensors', 'model.sig', 'tokenizer/vocab.txt']);
  });

  test('--include: a subset verified, the rest reported as not downloaded; a later full run re-hashes, not re-fetches', async () => {
    const p = await publishSigned(s.hub, 'dl/subset', model());
    const dest = fresh('subset');
    const r = await mv(['download', 'hf://dl/subset', dest, '--public-key', keyFile(p), '--include', '*.json', '--include', 'tokenizer/**', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.report.verified).toBe(true);
    expect(j.download.fetched.sort()).toEqual(['config.json', 'tokenizer/vocab.txt']);
    expect(j.download.notDownloaded.sort()).toEqual(['model-00001.safetensors', 'model-00002.safetensors']);
    expect(tree(dest)).toEqual(['config.json', 'tokenizer/vocab.txt']);
    s.hub.log.length = 0;
    const full = await mv(['download', 'hf://dl/subset', dest, '--public-key', keyFile(p), '--json']);
    const k = JSON.parse(full.stdout);
    expect(k.download.alreadyPresent.sort()).toEqual(['config.json', 'tokenizer/vocab.txt']);
    expect(k.download.fetched.sort()).toEqual(['model-00001.safetensors', 'model-00002.safetensors']);
    expect(s.hub.log.filter((l) => /config.json|vocab.txt/.test(l.path))).toEqual([]);
    const none = await mv(['download', 'hf://dl/subset', fresh('none'), '--public-key', keyFile(p), '--include', 'nothing/*']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('matches no signed file');
  });

  test('an existing file in DEST that does not match is replaced by a verified one', async () => {
    const p = await publishSigned(s.hub, 'dl/stale', model());
    const dest = fresh('stale');
    mkdirSync(dest, { recursive: true });
    writeFileSync(path.join(dest, 'config.json'), '{"layers":9}\n'); // same length, other bytes
    const r = await mv(['download', 'hf://dl/stale', dest, '--public-key', keyFile(p), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.download.removed).toEqual(['config.json']);
    expect(readFileSync(path.join(dest, 'config.json'), 'utf8')).toBe('{"layers":2}\n');
  });

  test('shard-signed models: hashed per shard (Range through the redirect), written whole', async () => {
    const files = model();
    const p = await publishSigned(s.hub, 'dl/shards', files, { shardSize: 65_536 });
    const dest = fresh('shards');
    s.hub.log.length = 0;
    const r = await mv(['download', 'hf://dl/shards', dest, '--public-key', keyFile(p)]);
    expect(r.status).toBe(0);
    expect(s.hub.log.filter((l) => l.origin === 'cdn' && l.range).length).toBeGreaterThan(4);
    expect(new Uint8Array(readFileSync(path.join(dest, 'model-00001.safetensors')))).toEqual(files['model-00001.safetensors']);
    expect((await mv(['verify', dest, '--public-key', keyFile(p)])).status).toBe(0);
  });

  test('hostile DEST: a symlink or a non-directory at a model path is never followed or overwritten', async () => {
    const p = await publishSigned(s.hub, 'dl/hostile', model());
    const outside = path.join(tmp, 'outside.txt');
    writeFileSync(outside, 'precious');
    const dest = fresh('hostile');
    mkdirSync(dest, { recursive: true });
    symlinkSync(outside, path.join(dest, 'config.json'));
    const r = await mv(['download', 'hf://dl/hostile', dest, '--public-key', keyFile(p)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/symlink.*never followed or overwritten/);
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    expect(readlinkSync(path.join(dest, 'config.json'))).toBe(outside);

    const dest2 = fresh('hostile2');
    mkdirSync(dest2, { recursive: true });
    writeFileSync(path.join(dest2, 'tokenizer'), 'a file where a directory goes');
    const r2 = await mv(['download', 'hf://dl/hostile', dest2, '--public-key', keyFile(p)]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/is not a directory/);
    expect(readFileSync(path.join(dest2, 'tokenizer'), 'utf8')).toBe('a file where a directory goes');

    const dest3 = fresh('hostile3');
    mkdirSync(path.join(dest3, 'tokenizer'), { recursive: true });
    symlinkSync(tmp, path.join(dest3, 'tokenizer', 'vocab.txt'));
    const r3 = await mv(['download', 'hf://dl/hostile', dest3, '--public-key', keyFile(p)]);
    expect(r3.status).toBe(1);
    expect(lstatSync(path.join(dest3, 'tokenizer', 'vocab.txt')).isSymbolicLink()).toBe(true);

    const linkedPartial = fresh('hostile4');
    mkdirSync(linkedPartial, { recursive: true });
    symlinkSync(tmp, path.join(linkedPartial, '.model-verify-partial'));
    const r4 = await mv(['download', 'hf://dl/hostile', linkedPartial, '--public-key', keyFile(p)]);
    expect(r4.status).toBe(1);
    expect(r4.stderr).toMatch(/not a directory: refusing/);
  });
});
