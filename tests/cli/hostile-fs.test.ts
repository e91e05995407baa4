/**
 * Issue 10, the Node filesystem side: hostile trees and input files must never pass or stall.
 *  1. the walk never drops an entry it cannot stat (no search permission, paths past PATH_MAX);
 *  2. ignore paths and the signature map into the model lexically (`cache -> evil` does not ignore evil/,
 *     `..cache` is inside the model);
 *  3. one checked open per file: swapped for a symlink, a FIFO or another file, grown or rewritten while
 *     hashed → MODEL_CHANGED (real files, the real worker pool; the races are made deterministic);
 *  4. CLI input files are regular files under a cap, read from the handle that was checked (FIFOs, /dev/zero).
 * Permission cases run the CLI as an unprivileged user: root would bypass directory permissions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeCryptoBackend, hashFileRange } from '../../node/crypto-backend.js';
import { NodeSource } from '../../node/source.js';
import { modelRelative } from '../../cli/paths.js';
import { MAX_KEY_BYTES, readBytes } from '../../cli/read-input.js';
import { IgnoreSet, planModel, type HashJob, type Plan } from '../../core/index.js';
import { buildHashWorker } from '../hash/build-worker.js';
import { CLI, PRIV_KEY, PUB_KEY, ROOT } from '../helpers/fixtures.js';

let work: string;
let workerUrl: URL;
beforeAll(async () => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  workerUrl = await buildHashWorker();
  work = mkdtempSync(path.join(tmpdir(), 'mv-hfs-'));
  chmodSync(work, 0o755); // the unprivileged user must reach the models built here
});
// `rm -rf` (fts, relative opens) also removes the tree whose paths exceed PATH_MAX; restore modes first.
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+rwx', work]);
  execFileSync('rm', ['-rf', work]);
});

let n = 0;
/** A fresh directory under `work` with a `model/` inside it. */
function caseDir(files: Record<string, string> = {}): { dir: string; model: string } {
  const dir = path.join(work, `c${n++}`);
  const model = path.join(dir, 'model');
  mkdirSync(model, { recursive: true });
  for (const [f, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(model, f)), { recursive: true });
    writeFileSync(path.join(model, f), data);
  }
  return { dir, model };
}

/** How to run a command as an unprivileged user (null: not possible here). */
const DROP: string[] | null = (() => {
  if (process.getuid?.() !== 0) return [];
  for (const cmd of [
    ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    ['runuser', '-u', 'nobody', '--'],
  ]) {
    if (spawnSync(cmd[0]!, [...cmd.slice(1), 'true']).status === 0) return cmd;
  }
  return null;
})();

function mv(args: string[], o: { cwd?: string; unprivileged?: boolean } = {}) {
  const argv = [process.execPath, CLI, ...args];
  const full = o.unprivileged ? [...DROP!, ...argv] : argv;
  const r = spawnSync(full[0]!, full.slice(1), { cwd: o.cwd ?? work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  // A stalled CLI (a FIFO read, a hung hash) shows up here rather than as a test timeout.
  expect(r.error, `the CLI did not finish: ${r.error?.message}`).toBeUndefined();
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sign = (model: string, sig: string, extra: string[] = [], cwd = work) => {
  const r = mv(['sign', 'key', model, '--signature', sig, '--private-key', PRIV_KEY, '-q', ...extra], { cwd });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
};
const verifyJson = (model: string, sig: string, extra: string[] = [], o: { cwd?: string; unprivileged?: boolean } = {}) => {
  const r = mv(['verify', 'key', model, '--signature', sig, '--public-key', PUB_KEY, '--json', ...extra], o);
  return { code: r.code, report: JSON.parse(r.stdout) as { verified: boolean; errors: { code: string; message: string; resource?: string }[] } };
};

const plan = (source: NodeSource, o: { shardSize?: number; allowSymlinks?: boolean } = {}): Promise<Plan> =>
  planModel(source, {
    serialization: o.shardSize ? { method: 'shards', hashType: 'sha256', shardSize: o.shardSize } : { method: 'files', hashType: 'sha256' },
    ignore: new IgnoreSet(),
    allowSymlinks: !!o.allowSymlinks,
  });

describe('1. the walk never drops an entry it cannot read', () => {
  const unprivileged =
    DROP === null
      ? 'a file in an unsearchable directory: SKIPPED, running as root without setpriv or runuser (root bypasses directory permissions)'
      : 'a file in a directory that can be listed but not searched → IO_ERROR naming it (run as an unprivileged user)';
  it.skipIf(DROP === null)(unprivileged, () => {
    const { dir, model } = caseDir({ a: 'data' });
    sign(model, path.join(dir, 'model.sig'));
    mkdirSync(path.join(model, 'sub'));
    writeFileSync(path.join(model, 'sub/secret'), 'unsigned');
    chmodSync(path.join(model, 'sub'), 0o644); // r-- for everyone: readdir works, lstat of its entries does not
    const r = verifyJson(model, path.join(dir, 'model.sig'), [], { unprivileged: true });
    expect(r.code).toBe(1);
    expect(r.report.verified).toBe(false);
    expect(r.report.errors[0]).toMatchObject({ code: 'IO_ERROR', resource: 'sub/secret' });
    // Ignored, it is never touched (the reference checks ignores first): the model verifies.
    const ok = verifyJson(model, path.join(dir, 'model.sig'), ['--ignore-paths', path.join(model, 'sub/secret')], { unprivileged: true });
    expect(ok.report.errors).toEqual([]);
    expect(ok.code).toBe(0);
    // A directory that cannot be listed at all is an error too.
    chmodSync(path.join(model, 'sub'), 0o311);
    const r2 = verifyJson(model, path.join(dir, 'model.sig'), [], { unprivileged: true });
    expect(r2.report.errors[0]).toMatchObject({ code: 'IO_ERROR', resource: 'sub' });
  });

  it('a file whose path exceeds PATH_MAX while its directory\'s does not → IO_ERROR naming it; stat() is not "missing"', async () => {
    const { model } = caseDir({ a: 'data' });
    // 20 levels of 200-character names: the directory path stays under 4096 bytes, the file's does not.
    const names = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i).repeat(200));
    const file = 'f'.repeat(120);
    execFileSync('sh', ['-c', 'cd "$1" && shift && for d in "$@"; do mkdir "$d" && cd "$d" || exit 1; done && echo x > ' + file, 'sh', model, ...names]);
    const rel = [...names, file].join('/');
    expect(path.join(model, rel).length).toBeGreaterThan(4096);
    const source = await NodeSource.open(model);
    await expect(plan(source)).rejects.toMatchObject({ code: 'IO_ERROR', resource: rel });
    await expect(source.stat(rel)).rejects.toMatchObject({ code: 'IO_ERROR', resource: rel });
    expect(await source.stat('nope/x')).toBeNull();
  });
});

describe('2. ignore paths and the signature map into the model lexically', () => {
  it('modelRelative: links inside the model are not followed; only a `..` component climbs out', async () => {
    const { dir, model } = caseDir({ 'evil/payload': 'p', '..cache': 'c' });
    symlinkSync('evil', path.join(model, 'cache'));
    symlinkSync(model, path.join(dir, 'alias'));
    const src = await NodeSource.open(model);
    expect(modelRelative(src, path.join(model, 'cache'))).toBe('cache'); // the reference's resolve() gives 'evil'
    expect(modelRelative(src, path.join(model, 'cache/x'))).toBe('cache/x');
    expect(modelRelative(src, path.join(model, '..cache'))).toBe('..cache');
    expect(modelRelative(src, path.join(model, '..sig'))).toBe('..sig');
    expect(modelRelative(src, path.join(model, '../x'))).toBeNull();
    expect(modelRelative(src, path.join(model, 'a/../../x'))).toBeNull();
    expect(modelRelative(src, model)).toBe('.');
    // The model given through a link: paths through that link, or through the real path, both map.
    const viaLink = await NodeSource.open(path.join(dir, 'alias'));
    expect(modelRelative(viaLink, path.join(dir, 'alias/cache'))).toBe('cache');
    expect(modelRelative(viaLink, path.join(model, 'cache'))).toBe('cache');
    // Older callers pass only the real root: a link naming the root is still resolved, nothing past it.
    expect(modelRelative(src.root, path.join(dir, 'alias/cache'))).toBe('cache');
  });

  it('CLI: --ignore-paths model/cache with cache -> evil does not ignore evil/', () => {
    const { dir, model } = caseDir({ a: 'data' });
    const sig = path.join(dir, 'model.sig');
    sign(model, sig, ['--ignore-paths', path.join(model, 'cache')]); // records 'cache' (it need not exist)
    mkdirSync(path.join(model, 'evil'));
    writeFileSync(path.join(model, 'evil/payload'), 'unsigned');
    symlinkSync('evil', path.join(model, 'cache'));
    const r = verifyJson(model, sig, ['--ignore-paths', path.join(model, 'cache')]);
    expect(r.code).toBe(1);
    expect(r.report.errors.map((e) => e.message).join('\n')).toContain('evil/payload');
    // The relative spelling the reference scripts use, from the model's parent.
    const rel = verifyJson('./model', sig, ['--ignore-paths', './model/cache'], { cwd: dir });
    expect(rel.code).toBe(1);
  });

  it('CLI: model/..cache and a signature at model/..sig are inside the model', () => {
    const { model } = caseDir({ a: 'data', '..cache': 'scratch' });
    const sig = path.join(model, '..sig');
    sign(model, sig, ['--ignore-paths', path.join(model, '..cache')]);
    writeFileSync(path.join(model, '..cache'), 'changed scratch');
    const r = verifyJson(model, sig, ['--ignore-paths', path.join(model, '..cache')]);
    expect(r.report.errors).toEqual([]);
    expect(r.code).toBe(0);
    // Relative spellings from inside the model.
    const inside = verifyJson('.', '..sig', ['--ignore-paths', '..cache'], { cwd: model });
    expect(inside.code).toBe(0);
  });
});

describe('3. one checked open per file', () => {
  const backends = () => [
    { name: 'worker pool', backend: new NodeHashPool({ workerUrl, threads: 2, inlineBytes: 0 }) },
    { name: 'in-thread', backend: new NodeCryptoBackend() },
  ];
  const run = async (b: { backend: NodeHashPool | NodeCryptoBackend }, p: Plan, source: NodeSource) => {
    try {
      return await b.backend.run(p.jobs, source);
    } finally {
      if (b.backend instanceof NodeHashPool) await b.backend.close();
    }
  };

  const LISTED_TIME = new Date(1_600_000_000_000);
  /** Each mutation happens after listing, before the file is opened. */
  const swaps: Record<string, (model: string, outside: string) => void> = {
    'a symlink to a file outside the model': (m, outside) => (unlinkSync(path.join(m, 'f')), symlinkSync(outside, path.join(m, 'f'))),
    'another regular file of the same size and mtime': (m) => {
      writeFileSync(path.join(m, 'g'), 'x'.repeat(100));
      utimesSync(path.join(m, 'g'), LISTED_TIME, LISTED_TIME); // only dev/ino can tell it apart
      renameSync(path.join(m, 'g'), path.join(m, 'f'));
    },
    'a FIFO (must not stall)': (m) => (unlinkSync(path.join(m, 'f')), execFileSync('mkfifo', [path.join(m, 'f')])),
    'nothing (deleted)': (m) => unlinkSync(path.join(m, 'f')),
  };
  for (const [what, swap] of Object.entries(swaps)) {
    it(`a listed file replaced by ${what} → MODEL_CHANGED, outside bytes never hashed`, async () => {
      for (const b of backends()) {
        const { dir, model } = caseDir({ f: 'x'.repeat(100) });
        const outside = path.join(dir, 'secret');
        writeFileSync(outside, 's'.repeat(100));
        utimesSync(path.join(model, 'f'), LISTED_TIME, LISTED_TIME);
        const source = await NodeSource.open(model);
        const p = await plan(source);
        swap(model, outside);
        await expect(run(b, p, source), b.name).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'f' });
      }
    });
  }

  it('an empty file swapped for a symlink is not hashed as "empty"', async () => {
    for (const b of backends()) {
      const { dir, model } = caseDir({ f: '' });
      writeFileSync(path.join(dir, 'secret'), '');
      const source = await NodeSource.open(model);
      const p = await plan(source);
      unlinkSync(path.join(model, 'f'));
      symlinkSync(path.join(dir, 'secret'), path.join(model, 'f'));
      await expect(run(b, p, source), b.name).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
    }
  });

  it('shards: every shard job checks the file identity', async () => {
    const { dir, model } = caseDir({ f: 'x'.repeat(100) });
    writeFileSync(path.join(dir, 'secret'), 's'.repeat(100));
    const source = await NodeSource.open(model);
    const p = await plan(source, { shardSize: 10 });
    expect(p.jobs.length).toBe(10);
    unlinkSync(path.join(model, 'f'));
    symlinkSync(path.join(dir, 'secret'), path.join(model, 'f'));
    const pool = new NodeHashPool({ workerUrl, threads: 2, inlineBytes: 0 });
    try {
      await expect(pool.run(p.jobs, source)).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: expect.stringMatching(/^f:\d+:\d+$/) });
    } finally {
      await pool.close();
    }
  });

  it('small runs hashed in the main thread (no worker started) check the file identity too', async () => {
    const { dir, model } = caseDir({ f: 'x'.repeat(100) });
    writeFileSync(path.join(dir, 'secret'), 's'.repeat(100));
    const source = await NodeSource.open(model);
    const p = await plan(source, { shardSize: 10 });
    unlinkSync(path.join(model, 'f'));
    symlinkSync(path.join(dir, 'secret'), path.join(model, 'f'));
    const pool = new NodeHashPool({ workerUrl, threads: 2 }); // default: runs of ≤ 1 MiB stay in this thread
    try {
      await expect(pool.run(p.jobs, source)).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('an allowed in-model symlink: its target is opened without following links and checked', async () => {
    const { model } = caseDir({ 'sub/t': 'target', other: 'other!' });
    symlinkSync('sub/t', path.join(model, 'link'));
    const source = await NodeSource.open(model);
    const p = await plan(source, { allowSymlinks: true });
    const pool = new NodeHashPool({ workerUrl, threads: 2, inlineBytes: 0 });
    try {
      const ok = await pool.run(p.jobs, source);
      expect(Buffer.from(ok.get('link')!).equals(Buffer.from(ok.get('sub/t')!))).toBe(true);
      // The target swapped for a link elsewhere after listing: the listed target no longer matches.
      unlinkSync(path.join(model, 'sub/t'));
      symlinkSync('../other', path.join(model, 'sub/t'));
      await expect(
        pool.run(
          p.jobs.filter((j) => j.path === 'link'),
          source,
        ),
      ).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'link' });
    } finally {
      await pool.close();
    }
  });

  /** Mutations while the file is being hashed: after the last byte is read, before the final check. */
  const during: Record<string, (file: string) => void> = {
    grows: (f) => appendFileSync(f, 'more'),
    'is rewritten in place (same size)': (f) => {
      writeFileSync(f, 'y'.repeat(3 << 20));
      utimesSync(f, new Date(), new Date(Date.now() + 5000));
    },
  };
  for (const [what, mutate] of Object.entries(during)) {
    it(`a file that ${what} while it is hashed → MODEL_CHANGED (pool, in-thread, stream)`, async () => {
      const { model } = caseDir({ f: 'x'.repeat(3 << 20) });
      const file = path.join(model, 'f');

      let source = await NodeSource.open(model);
      let p = await plan(source);
      let held = 0;
      const pool = new NodeHashPool({ workerUrl, threads: 1, afterRead: () => (held++, mutate(file)) });
      try {
        await expect(pool.run(p.jobs, source)).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'f' });
        expect(held).toBe(1);
      } finally {
        await pool.close();
      }

      writeFileSync(file, 'x'.repeat(3 << 20));
      source = await NodeSource.open(model);
      p = await plan(source);
      // In-thread: mutate on the last chunk's progress callback, before the final fstat.
      const job: HashJob = p.jobs[0]!;
      let seen = 0;
      const onBytes = (k: number) => (seen += k) === job.end && mutate(file);
      await expect(hashFileRange(await source.target('f'), job, onBytes)).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'f' });

      writeFileSync(file, 'x'.repeat(3 << 20));
      source = await NodeSource.open(model);
      await plan(source);
      // The source's stream: read the first chunk, mutate, drain.
      const reader = source.open('f').getReader();
      await reader.read();
      mutate(file);
      const drain = async () => {
        for (;;) if ((await reader.read()).done) return;
      };
      await expect(drain()).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'f' });
    });
  }

  it('an unchanged model still hashes to the same digests on every path', async () => {
    const { model } = caseDir({ a: 'abc', 'd/b': 'x'.repeat(5 << 20), e: '' });
    const source = await NodeSource.open(model);
    const p = await plan(source);
    const pool = new NodeHashPool({ workerUrl, threads: 2, inlineBytes: 0 });
    try {
      const x = await pool.run(p.jobs, source);
      const y = await new NodeCryptoBackend().run(p.jobs, source);
      for (const j of p.jobs) expect(Buffer.from(x.get(j.id)!).equals(Buffer.from(y.get(j.id)!)), j.id).toBe(true);
      expect(Buffer.from(x.get('a')!).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    } finally {
      await pool.close();
    }
  });
});

describe('4. CLI input files: regular files under a cap, never a stall', () => {
  let model: string;
  let sig: string;
  let fifo: string;
  let big: string;
  beforeAll(() => {
    const c = caseDir({ a: 'data' });
    model = c.model;
    sig = path.join(c.dir, 'model.sig');
    sign(model, sig);
    fifo = path.join(c.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    big = path.join(c.dir, 'big.pem');
    writeFileSync(big, Buffer.alloc(MAX_KEY_BYTES + 1, 0x41));
  });

  it('--public-key: a FIFO, /dev/zero, a directory, an oversized file', () => {
    for (const bad of [fifo, '/dev/zero', path.dirname(fifo)]) {
      const r = mv(['verify', 'key', model, '--signature', sig, '--public-key', bad, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/not a regular file|EISDIR|illegal operation/) });
    }
    const r = mv(['verify', 'key', model, '--signature', sig, '--public-key', big, '--json']);
    expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: 'BUNDLE_TOO_LARGE' });
  });

  it('--signature, --certificate-chain, --trusted-root, verify-bundle --bundle/--key, sign --private-key: a FIFO is refused at once', () => {
    const json = (args: string[]) => {
      const r = mv(args);
      expect(r.code, args.join(' ')).toBe(1);
      return JSON.parse(r.stdout).errors[0];
    };
    expect(json(['verify', 'key', model, '--signature', fifo, '--public-key', PUB_KEY, '--json'])).toMatchObject({ code: 'IO_ERROR' });
    expect(json(['verify', 'certificate', model, '--signature', sig, '--certificate-chain', fifo, '--json'])).toMatchObject({ code: 'IO_ERROR' });
    const tr = json([
      'verify',
      'sigstore',
      model,
      '--signature',
      sig,
      '--identity',
      'a@b',
      '--identity-provider',
      'https://x',
      '--trusted-root',
      fifo,
      '--json',
    ]);
    expect(tr.message).toMatch(/not a regular file/);
    const vb = mv(['verify-bundle', '--bundle', fifo, '--key', PUB_KEY, path.join(model, 'a')]);
    expect(vb.code).toBe(1);
    expect(vb.stderr).toMatch(/not a regular file \[IO_ERROR\]/);
    const vk = mv(['verify-bundle', '--bundle', sig, '--key', fifo, path.join(model, 'a')]);
    expect(vk.code).toBe(1);
    const s = mv(['sign', 'key', model, '--signature', path.join(work, 'never.sig'), '--private-key', fifo]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/not a regular file/);
  });

  it('readBytes reads from the checked handle with a bound', async () => {
    await expect(readBytes(big, 'public key')).rejects.toMatchObject({ code: 'BUNDLE_TOO_LARGE' });
    expect(Buffer.from(await readBytes(big, 'x', MAX_KEY_BYTES + 1)).length).toBe(MAX_KEY_BYTES + 1);
    expect(Buffer.from(await readBytes(PUB_KEY, 'public key')).equals(readFileSync(PUB_KEY))).toBe(true);
    await expect(readBytes('/dev/zero', 'public key')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(readBytes(path.join(work, 'missing'), 'public key')).rejects.toMatchObject({ code: 'IO_ERROR' });
    rmSync(path.join(work, 'never.sig'), { force: true });
  });
});
