/** Hostile resource names are rejected before any file access; symlinks and special files are refused. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeManifest, IgnoreSet, verifyModel, type ModelSource } from '../../core/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { NodeSource } from '../../node/source.js';
import { PUB_KEY } from '../helpers/fixtures.js';
import { keyBundleFor, statementFor } from '../helpers/resign.js';

const policy = { method: 'key', publicKey: readFileSync(PUB_KEY, 'utf8') } as const;
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** Records every call a verifier makes into the model. */
function spy(inner: ModelSource) {
  const calls: string[] = [];
  const s: ModelSource = {
    name: inner.name,
    listable: inner.listable,
    list: (o) => (calls.push('list'), inner.list(o)),
    stat: (p, sig) => (calls.push(`stat ${p}`), inner.stat(p, sig)),
    open: (p, r, sig) => (calls.push(`open ${p}`), inner.open(p, r, sig)),
  };
  return { source: s, calls };
}

describe('hostile resource names', () => {
  const files = ['../x', '/abs', 'a/../../b', 'a/\0b', '..', 'C:\\Windows\\x', '', './../x'];
  for (const name of files) {
    it(`files name ${JSON.stringify(name)} → PATH_UNSAFE, nothing touched`, async () => {
      const { source, calls } = spy(new MemorySource('m', { x: 'data' }));
      const bundle = keyBundleFor(statementFor([{ name, digest: sha('data') }]));
      for (const ignoreUnsigned of [false, true]) {
        const r = await verifyModel(source, bundle, policy, { ignoreUnsigned });
        expect(r.verified).toBe(false);
        expect(r.errors[0]?.code).toBe('PATH_UNSAFE');
      }
      expect(calls).toEqual([]);
    });
  }

  const shards = ['f:8', 'f:-1:8', 'f:08:16', 'f:16:8', 'f:0:0', ':0:8', '../f:0:8', 'f:0:8x', 'f:0x10:20'];
  for (const name of shards) {
    it(`shard name ${JSON.stringify(name)} is rejected, nothing touched`, async () => {
      const { source, calls } = spy(new MemorySource('m', { f: 'data' }));
      const bundle = keyBundleFor(
        statementFor([{ name, digest: sha('data'), algorithm: 'sha256-sharded-8' }], {
          method: 'shards',
          hash_type: 'sha256',
          shard_size: 8,
          allow_symlinks: false,
        }),
      );
      const r = await verifyModel(source, bundle, policy, { ignoreUnsigned: true });
      expect(r.verified).toBe(false);
      expect(['PATH_UNSAFE', 'MANIFEST_INVALID']).toContain(r.errors[0]?.code);
      expect(calls).toEqual([]);
    });
  }

  it("a shard path containing ':' is parsed from the right and verifies", async () => {
    const src = new MemorySource('m', { 'a:b': 'data' });
    const bundle = keyBundleFor(
      statementFor([{ name: 'a:b:0:4', digest: sha('data'), algorithm: 'sha256-sharded-8' }], {
        method: 'shards',
        hash_type: 'sha256',
        shard_size: 8,
        allow_symlinks: false,
      }),
    );
    const r = await verifyModel(src, bundle, policy);
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
  });

  it('PurePosixPath-style names (a//b, ./a) normalise and verify', async () => {
    const src = new MemorySource('m', { 'd/a': 'x', b: 'y' });
    const bundle = keyBundleFor(
      statementFor([
        { name: 'd//a', digest: sha('x') },
        { name: './b', digest: sha('y') },
      ]),
    );
    const r = await verifyModel(src, bundle, policy);
    expect(r.verified).toBe(true);
  });

  it('duplicate names are refused', async () => {
    const src = new MemorySource('m', { a: 'x' });
    const r = await verifyModel(
      src,
      keyBundleFor(
        statementFor([
          { name: 'a', digest: sha('x') },
          { name: './a', digest: sha('x') },
        ]),
      ),
      policy,
    );
    expect(r.errors[0]?.code).toBe('MANIFEST_INVALID');
  });
});

describe('symlinks and special files (filesystem)', () => {
  function model(): { dir: string; outside: string } {
    const tmp = mkdtempSync(path.join(tmpdir(), 'mv-sym-'));
    const dir = path.join(tmp, 'model');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'weights'), 'w');
    const outside = path.join(tmp, 'secret');
    writeFileSync(outside, 'top secret');
    return { dir, outside };
  }
  const bundle = keyBundleFor(statementFor([{ name: 'weights', digest: sha('w') }]));

  it('an unsigned symlink → SYMLINK_REFUSED; ignored with ignoreUnsigned', async () => {
    const { dir } = model();
    symlinkSync('weights', path.join(dir, 'alias'));
    const r = await verifyModel(await NodeSource.open(dir), bundle, policy);
    expect(r.errors[0]?.code).toBe('SYMLINK_REFUSED');
    const ok = await verifyModel(await NodeSource.open(dir), bundle, policy, { ignoreUnsigned: true });
    expect(ok.verified).toBe(true);
  });

  it('a symlink to a file outside the model is refused even when symlinks are allowed', async () => {
    const { dir, outside } = model();
    symlinkSync(outside, path.join(dir, 'leak'));
    const signed = keyBundleFor(
      statementFor([
        { name: 'leak', digest: sha('top secret') },
        { name: 'weights', digest: sha('w') },
      ]),
    );
    for (const allowSymlinks of [false, true]) {
      const r = await verifyModel(await NodeSource.open(dir), signed, policy, { allowSymlinks });
      expect(r.errors[0]?.code).toBe('SYMLINK_REFUSED');
      expect(r.bytesHashed).toBe(0);
    }
  });

  it('a symlinked parent directory cannot smuggle an outside file in ignore-unsigned mode', async () => {
    const { dir, outside } = model();
    symlinkSync(path.dirname(outside), path.join(dir, 'up'));
    const signed = keyBundleFor(
      statementFor([
        { name: 'up/secret', digest: sha('top secret') },
        { name: 'weights', digest: sha('w') },
      ]),
    );
    const r = await verifyModel(await NodeSource.open(dir), signed, policy, { ignoreUnsigned: true, allowSymlinks: true });
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain('MISSING_FILE');
  });

  it('a symlink cycle → SPECIAL_FILE when symlinks are allowed', async () => {
    const { dir } = model();
    symlinkSync('b', path.join(dir, 'a'));
    symlinkSync('a', path.join(dir, 'b'));
    const r = await verifyModel(await NodeSource.open(dir), bundle, policy, { allowSymlinks: true });
    expect(r.errors[0]?.code).toBe('SPECIAL_FILE');
  });

  it('a FIFO → SPECIAL_FILE', async () => {
    const { dir } = model();
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    const r = await verifyModel(await NodeSource.open(dir), bundle, policy);
    expect(r.errors[0]?.code).toBe('SPECIAL_FILE');
  });

  it('an allowed in-model symlink hashes its target under the link name; symlinked dirs are refused unless ignored', async () => {
    const { dir } = model();
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub/t'), 'target');
    symlinkSync('sub/t', path.join(dir, 'link'));
    symlinkSync('sub', path.join(dir, 'dirlink'));
    const serialization = { method: 'files', hashType: 'sha256' } as const;
    await expect(computeManifest(await NodeSource.open(dir), { serialization, ignore: new IgnoreSet(), allowSymlinks: true })).rejects.toMatchObject({
      code: 'SYMLINK_REFUSED',
      resource: 'dirlink',
    });
    const m = await computeManifest(await NodeSource.open(dir), { serialization, ignore: new IgnoreSet(['dirlink']), allowSymlinks: true });
    expect(m.resources.map((r) => [r.id, r.digest])).toEqual([
      ['link', sha('target')],
      ['sub/t', sha('target')],
      ['weights', sha('w')],
    ]);
  });

  it('default git ignores are top-level only', async () => {
    const { dir } = model();
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, '.git/HEAD'), 'ref');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub/.gitignore'), '*');
    const m = await computeManifest(await NodeSource.open(dir), {
      serialization: { method: 'files', hashType: 'sha256' },
      ignore: new IgnoreSet(['.git', '.gitignore']),
    });
    expect(m.resources.map((r) => r.id)).toEqual(['sub/.gitignore', 'weights']);
  });
});

describe('ordering', () => {
  it('sorts by path components and code points like the reference', async () => {
    const src = new MemorySource('m', { 'a-c': '1', 'a.b': '2', 'a/b': '3', 'a/B': '4', 'a/ b': '5', '\u{1F600}': '6', '\uFFFD': '7' });
    const m = await computeManifest(src, { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet() });
    expect(m.resources.map((r) => r.id)).toEqual(['a/ b', 'a/B', 'a/b', 'a-c', 'a.b', '\uFFFD', '\u{1F600}']);
  });
});
