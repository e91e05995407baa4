/**
 * NodeSource's walk (node/walk.ts) in the main thread and in a hash worker (node/walk-remote.ts, as the pool lends
 * one): the same entries as a plainly written oracle over random trees; the same refusals when the tree changes
 * at the exact points the walk asks about ignored directories (a directory swapped for a symlink, a late symlink,
 * a vanished file); a file changed between the walk and its hashing; abort, an abandoned walk and a dead worker
 * end it with the right error and no hang.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { build as bundle } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IgnoreSet, planModel, type ModelEntry } from '../../core/index.js';
import { planAndHash } from '../../core/verify/compute.js';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeSource, type WalkHost } from '../../node/source.js';
import { walkInWorker } from '../../node/walk-remote.js';
import { buildHashWorker } from './build-worker.js';

const ROOT_DIR = path.resolve('.');
let workerUrl: URL;
let work: string;
let worker: Worker;
beforeAll(async () => {
  workerUrl = await buildHashWorker();
  work = mkdtempSync(path.join(tmpdir(), 'mv-walk-'));
  worker = await startWorker();
});
afterAll(async () => {
  await worker.terminate();
  rmSync(work, { recursive: true, force: true });
});

async function startWorker(): Promise<Worker> {
  const w = new Worker(workerUrl);
  await new Promise((r) => w.once('message', r)); // 'ready'
  w.unref();
  return w;
}

/** A host that walks in `w` (what NodeHashPool.runFeed lends), and how many walks it took. */
function hostOf(w: Worker): WalkHost & { walks: number } {
  const h = {
    walks: 0,
    walk: (root: string, prune: Parameters<WalkHost['walk']>[1], signal?: AbortSignal) => {
      h.walks++;
      return walkInWorker(w, root, prune, signal);
    },
  };
  return h;
}

type Mode = 'main thread' | 'worker';
const MODES: Mode[] = ['main thread', 'worker'];

async function open(root: string, mode: Mode, w = worker): Promise<NodeSource> {
  const s = await NodeSource.open(root);
  if (mode === 'worker') s.walkWith(hostOf(w));
  return s;
}

interface Seen {
  path: string;
  kind: string;
  size: number;
  link?: string;
  identity?: string;
}
const seen = (e: ModelEntry): Seen => ({
  path: e.path,
  kind: e.kind,
  size: e.size,
  ...(e.link ? { link: e.link } : {}),
  ...(e.identity ? { identity: e.identity } : {}),
});

async function listAll(s: NodeSource, prune?: (p: string) => boolean, signal?: AbortSignal): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const e of s.list({ ...(prune ? { prune } : {}), ...(signal ? { signal } : {}) })) out.push(seen(e));
  return out;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const idOf = (st: { dev: bigint; ino: bigint; mtimeNs: bigint }) => `${st.dev}:${st.ino}:${st.mtimeNs}`;

/** The walk's rules, written plainly: depth first, code-unit order, ignored directories skipped, links resolved. */
function oracle(root: string, pruned: (p: string) => boolean): Seen[] {
  const out: Seen[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(rel ? path.join(root, rel) : root).sort(byCodeUnit)) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = lstatSync(abs, { bigint: true });
      if (st.isDirectory()) {
        if (!pruned(r)) visit(r);
      } else if (st.isFile()) out.push({ path: r, kind: 'file', size: Number(st.size), identity: idOf(st) });
      else if (!st.isSymbolicLink()) out.push({ path: r, kind: 'other', size: 0 });
      else {
        let target: string;
        try {
          target = realpathSync.native(abs);
        } catch {
          out.push({ path: r, kind: 'symlink', size: 0, link: 'broken' });
          continue;
        }
        const inside = target === root || target.startsWith(root + path.sep);
        const t = lstatSync(target, { bigint: true });
        if (t.isDirectory()) out.push({ path: r, kind: 'symlink', size: 0, link: inside ? 'dir' : 'outside' });
        else if (t.isFile()) out.push({ path: r, kind: 'symlink', size: Number(t.size), link: inside ? 'file' : 'outside', identity: idOf(t) });
        else out.push({ path: r, kind: 'symlink', size: 0, link: 'broken' });
      }
    }
  };
  visit('');
  return out;
}

const DIRS = ['', 'a', 'a/b', 'c', 'ig', 'ig/x', '.git'] as const;
const NAMES = ['f', 'g.bin', 'É', 'sp ace', '.h', 'z', 'a-b'] as const;
const TYPES = ['file', 'file', 'file', 'linkIn', 'linkDir', 'linkOut', 'linkOutDir', 'dangling', 'loop', 'fifo'] as const;
const IGNORES = ['ig', 'a/b', '.git', 'c/f', 'nope'] as const;

let cases = 0;
const outside = () => {
  const d = path.join(work, `outside-${cases}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'o.txt'), 'outside bytes\n');
  return d;
};

function build(entries: { dir: string; name: string; type: (typeof TYPES)[number]; size: number }[]): string {
  const root = path.join(work, `case-${cases++}`);
  const out = outside();
  mkdirSync(root);
  for (const d of DIRS) if (d) mkdirSync(path.join(root, d), { recursive: true });
  const made = new Set<string>();
  for (const e of entries) {
    const rel = e.dir ? `${e.dir}/${e.name}` : e.name;
    if (made.has(rel)) continue;
    made.add(rel);
    const abs = path.join(root, rel);
    if (e.type === 'file') writeFileSync(abs, Buffer.alloc(e.size, rel));
    else if (e.type === 'linkIn') {
      writeFileSync(path.join(root, 'target.bin'), 'the target\n');
      symlinkSync(path.relative(path.dirname(abs), path.join(root, 'target.bin')), abs);
    } else if (e.type === 'linkDir') symlinkSync(path.join(root, 'a'), abs);
    else if (e.type === 'linkOut') symlinkSync(path.join(out, 'o.txt'), abs);
    else if (e.type === 'linkOutDir') symlinkSync(out, abs);
    else if (e.type === 'dangling') symlinkSync('no-such-file', abs);
    else if (e.type === 'loop') symlinkSync(path.basename(abs), abs);
    else execFileSync('mkfifo', [abs]);
  }
  return realpathSync(root);
}

describe('the walk in the main thread and in a worker', () => {
  it('property: both list exactly what the oracle lists (kinds, links, sizes, identities; ignored directories untouched)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ dir: fc.constantFrom(...DIRS), name: fc.constantFrom(...NAMES), type: fc.constantFrom(...TYPES), size: fc.nat(300) }), {
          maxLength: 24,
        }),
        fc.subarray([...IGNORES]),
        async (entries, ignores) => {
          const root = build(entries);
          const ignore = new IgnoreSet(ignores);
          const prune = (p: string) => ignore.has(p);
          const want = oracle(root, prune);
          for (const mode of MODES) expect(await listAll(await open(root, mode), prune), mode).toEqual(want);
          // Without ignores every directory is walked.
          expect(await listAll(await open(root, 'worker'))).toEqual(oracle(root, () => false));
        },
      ),
      { numRuns: 40, seed: 0x5eed },
    );
  });

  it('a tree of thousands of entries arrives in order, in many batches, with the same entries', async () => {
    const root = path.join(work, 'many');
    for (let i = 0; i < 3000; i++) {
      const d = path.join(root, `d${i % 13}`, i % 2 ? 'sub' : '');
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, `f${i}`), `${i}`);
    }
    const want = oracle(realpathSync(root), () => false);
    expect(want.length).toBe(3000);
    for (const mode of MODES) expect(await listAll(await open(root, mode))).toEqual(want);
  });
});

/**
 * The walk asks `prune` about a directory's subdirectories after listing it and before touching any of them (and
 * about an entry that turned into a directory after its listing, right after its lstat): the tree is changed there.
 */
describe.each(MODES)('a tree changed while it is walked (%s)', (mode) => {
  const tree = () => {
    const root = path.join(work, `race-${cases++}`);
    mkdirSync(path.join(root, 'a-dir'), { recursive: true });
    writeFileSync(path.join(root, 'a-dir/f'), 'f\n');
    writeFileSync(path.join(root, 'b'), 'b\n');
    return root;
  };
  const plan = (s: NodeSource, prune: (p: string) => boolean) =>
    planModel(
      { name: s.name, listable: true, list: (o) => s.list({ ...o, prune }), stat: (p) => s.stat(p), open: (p) => s.open(p) },
      { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet(), allowSymlinks: false },
    );

  it('a directory swapped for a symlink between its lstat and its readdir → MODEL_CHANGED naming it', async () => {
    const root = tree();
    const elsewhere = outside();
    const s = await open(root, mode);
    const prune = (p: string) => {
      if (p === 'a-dir') {
        // After the root's listing: `b` (a file when listed) becomes a directory, so the walk asks about it next.
        unlinkSync(path.join(root, 'b'));
        mkdirSync(path.join(root, 'b'));
        writeFileSync(path.join(root, 'b/inner'), 'inner\n');
      } else if (p === 'b') {
        // After `b`'s lstat (a directory), before its readdir: swapped for a link to another tree.
        renameSync(path.join(root, 'b'), path.join(root, 'b-moved'));
        symlinkSync(elsewhere, path.join(root, 'b'));
      }
      return false;
    };
    await expect(plan(s, prune)).rejects.toMatchObject({
      code: 'MODEL_CHANGED',
      resource: 'b',
      message: expect.stringContaining('changed while the model was being listed'),
    });
  });

  it('a file replaced by a symlink after the listing is seen as the symlink (refused)', async () => {
    const root = tree();
    const s = await open(root, mode);
    const prune = (p: string) => {
      if (p === 'a-dir') {
        unlinkSync(path.join(root, 'b'));
        symlinkSync('a-dir/f', path.join(root, 'b'));
      }
      return false;
    };
    await expect(plan(s, prune)).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', resource: 'b' });
  });

  it('a file removed after the listing → MODEL_CHANGED naming it; ignored, it is skipped', async () => {
    const root = tree();
    const s = await open(root, mode);
    const prune = (p: string) => {
      if (p === 'a-dir') unlinkSync(path.join(root, 'b'));
      return false;
    };
    await expect(plan(s, prune)).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'b', message: expect.stringContaining('disappeared') });
    writeFileSync(path.join(root, 'b'), 'b\n');
    const s2 = await open(root, mode);
    const entries = await listAll(s2, (p) => {
      if (p === 'a-dir') unlinkSync(path.join(root, 'b'));
      return p === 'b';
    });
    expect(entries.map((e) => e.path)).toEqual(['a-dir/f']);
  });
});

describe('the walk in a worker ends cleanly', () => {
  const tree = (n: number) => {
    const root = path.join(work, `end-${cases++}`);
    for (let i = 0; i < n; i++) {
      mkdirSync(path.join(root, `d${i % 50}`), { recursive: true });
      writeFileSync(path.join(root, `d${i % 50}`, `f${i}`), `${i}`);
    }
    return root;
  };

  it("an abort mid-walk is the walk's error; the worker serves the next walk", async () => {
    const root = tree(200);
    const ctl = new AbortController();
    const s = await open(root, 'worker');
    const p = listAll(
      s,
      (d) => {
        if (d === 'd0') ctl.abort(new Error('stopped by the test'));
        return false;
      },
      ctl.signal,
    );
    await expect(p).rejects.toThrow('stopped by the test');
    expect(await listAll(await open(root, 'worker'))).toEqual(oracle(realpathSync(root), () => false));
  });

  it('a walk abandoned after its first entry stops the worker walking; the worker serves the next walk', async () => {
    const root = tree(12000); // more than the worker may run ahead of its reader
    const s = await open(root, 'worker');
    for await (const _ of s.list()) break;
    expect((await listAll(await open(root, 'worker'))).length).toBe(12000);
  });

  it('a walk its reader abandons without return() does not keep the process from exiting', async () => {
    const root = tree(12000);
    const dir = mkdtempSync(path.join(path.resolve('node_modules/.cache'), 'mv-walk-exit-'));
    try {
      const script = path.join(dir, 'abandon.mjs');
      await bundle({
        stdin: {
          contents: `
            import { Worker } from 'node:worker_threads';
            import { NodeSource } from ${JSON.stringify(path.resolve('node/source.ts'))};
            import { walkInWorker } from ${JSON.stringify(path.resolve('node/walk-remote.ts'))};
            const w = new Worker(new URL(${JSON.stringify(workerUrl.href)}));
            w.unref(); // as the pool leaves an idle worker
            const s = await NodeSource.open(${JSON.stringify(root)});
            s.walkWith({ walk: (r, p, sig) => walkInWorker(w, r, p, sig) });
            const it = s.list()[Symbol.asyncIterator]();
            console.log(JSON.stringify((await it.next()).value.path)); // and never asks again, nor returns
          `,
          resolveDir: ROOT_DIR,
          loader: 'ts',
        },
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        logLevel: 'warning',
      });
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
      expect(r.error).toBeUndefined(); // no timeout: the process exited on its own
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('"d0/f0"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the worker dying mid-walk → INTERNAL, never a hang', async () => {
    const root = tree(200);
    const w = await startWorker();
    const s = await open(root, 'worker', w);
    const p = listAll(s, (d) => {
      if (d === 'd0') void w.terminate();
      return false;
    });
    await expect(p).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('the pool walks in its idle worker', () => {
  it("a file changed while the lent worker may still be walking → MODEL_CHANGED (hashing's failure, not the walk it ended), no worker left", async () => {
    const root = path.join(work, `pool-${cases++}`);
    for (let i = 0; i < 20000; i++) {
      mkdirSync(path.join(root, `d${i % 40}`), { recursive: true });
      writeFileSync(path.join(root, `d${i % 40}`, `f${i}`), `${i}`);
    }
    let held = 0;
    const pool = new NodeHashPool({
      workerUrl,
      threads: 2,
      streamFrom: 1,
      afterRead: (job) => {
        if (held++ === 0) writeFileSync(path.join(root, ...job.path.split('/')), 'changed, and longer than before\n');
      },
    });
    pool.warm();
    try {
      await new Promise((r) => setTimeout(r, 300)); // the workers are up, so one is lent
      const source = await NodeSource.open(root);
      const run = planAndHash(source, { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet([]), backend: pool });
      await expect(run).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it("a warmed pool lends its last worker to the walk: the digests are the files' own, a pre-1970 mtime included; a file changed after the walk is MODEL_CHANGED", async () => {
    const root = path.join(work, `pool-${cases++}`);
    for (let i = 0; i < 2500; i++) {
      mkdirSync(path.join(root, `d${i % 9}`), { recursive: true });
      writeFileSync(path.join(root, `d${i % 9}`, `f${i}.bin`), `file ${i}\n`.repeat(1 + (i % 3)));
    }
    mkdirSync(path.join(root, 'ig'));
    writeFileSync(path.join(root, 'ig/unseen'), 'ignored\n');
    utimesSync(path.join(root, 'd0/f0.bin'), -1000.25, -1000.25); // negative mtimeNs: exact through the batches
    const pool = new NodeHashPool({ workerUrl, threads: 2, streamFrom: 1 });
    pool.warm();
    try {
      const source = await NodeSource.open(root);
      let lent = 0;
      let walked = 0;
      const walkWith = source.walkWith.bind(source);
      source.walkWith = (h) => {
        if (h) lent++;
        walkWith(
          h && {
            walk: (...a) => {
              const feed = h.walk(...a);
              if (feed) walked++; // null: it would have walked here
              return feed;
            },
          },
        );
      };
      await new Promise((r) => setTimeout(r, 300)); // the workers are up
      const { plan, digests } = await planAndHash(source, {
        serialization: { method: 'files', hashType: 'sha256' },
        ignore: new IgnoreSet(['ig']),
        backend: pool,
      });
      expect(lent).toBe(1);
      expect(walked).toBe(1);
      expect(plan.jobs.length).toBe(2500);
      for (const j of plan.jobs) {
        const want = createHash('sha256')
          .update(readFileSync(path.join(root, ...j.path.split('/'))))
          .digest('hex');
        expect(Buffer.from(digests.get(j.id)!).toString('hex'), j.id).toBe(want);
      }
      // Listed by the worker's walk, changed before it is hashed: the identity check refuses it.
      const listed = await NodeSource.open(root);
      listed.walkWith(hostOf(worker));
      const p2 = await planModel(listed, { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet(['ig']), allowSymlinks: false });
      writeFileSync(path.join(root, 'd3/f3.bin'), 'rewritten\n');
      await expect(pool.run(p2.jobs, listed)).rejects.toMatchObject({ code: 'MODEL_CHANGED', resource: 'd3/f3.bin' });
    } finally {
      await pool.close();
    }
  });
});
