/** The worker_threads pool: cancellation ends every worker, a dying worker is an error (never a hang), progress, order. */
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeSource } from '../../node/source.js';
import { ModelVerifyError } from '../../core/errors.js';
import type { Progress } from '../../core/hash/backend.js';
import type { HashJob } from '../../core/serialize/plan.js';
import { IgnoreSet } from '../../core/serialize/ignore.js';
import { planAndHash } from '../../core/verify/compute.js';
import { buildHashWorker } from './build-worker.js';
import { SyntheticSource } from './synthetic-source.js';

const GiB = 2 ** 30;
let workerUrl: URL;
let dir: string;
let big: NodeSource;
const bigJobs: HashJob[] = [0, 1, 2, 3].map((i) => ({ id: `b${i}`, path: '.', start: i * GiB, end: (i + 1) * GiB, hash: 'sha256' }));

beforeAll(async () => {
  workerUrl = await buildHashWorker();
  dir = mkdtempSync(path.join(tmpdir(), 'mv-pool-'));
  // 4 GiB sparse file: hashing it takes seconds, so cancellation lands mid-job; it occupies no disk.
  const fd = openSync(path.join(dir, 'big.bin'), 'w');
  ftruncateSync(fd, 4 * GiB);
  closeSync(fd);
  big = await NodeSource.open(path.join(dir, 'big.bin'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

/** Aborts as soon as the first bytes have been hashed, so the abort lands while workers are busy. */
function abortOnFirstProgress(): { ctl: AbortController; onProgress: (p: Progress) => void } {
  const ctl = new AbortController();
  return { ctl, onProgress: (p) => p.bytesDone > 0 && ctl.abort(new ModelVerifyError('ABORTED', 'cancelled by the test')) };
}

describe('cancellation', () => {
  it('file jobs: rejects with the abort reason and leaves no worker running', async () => {
    const pool = new NodeHashPool({ workerUrl, threads: 2 });
    const { ctl, onProgress } = abortOnFirstProgress();
    const run = pool.run(bigJobs, big, { signal: ctl.signal, onProgress });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pool.liveWorkers).toBe(0);
  });

  it('streamed jobs: rejects and leaves no worker running', async () => {
    const pool = new NodeHashPool({ workerUrl, threads: 2 });
    const source = new SyntheticSource({ a: 512 << 20, b: 512 << 20 });
    const { ctl, onProgress } = abortOnFirstProgress();
    const jobs: HashJob[] = ['a', 'b'].map((p) => ({ id: p, path: p, start: 0, end: 512 << 20, hash: 'blake3' }));
    await expect(pool.run(jobs, source, { signal: ctl.signal, onProgress })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pool.liveWorkers).toBe(0);
  });

  it('a worker stuck in a job is terminated by the abort', async () => {
    const pool = new NodeHashPool({ workerUrl: fixture('hang-worker.mjs'), threads: 2 });
    const { ctl, onProgress } = abortOnFirstProgress();
    await expect(pool.run(bigJobs, big, { signal: ctl.signal, onProgress })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pool.liveWorkers).toBe(0);
  });

  it('an already aborted signal starts nothing', async () => {
    const pool = new NodeHashPool({ workerUrl, threads: 2 });
    await expect(pool.run(bigJobs, big, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(pool.liveWorkers).toBe(0);
  });
});

describe('worker crashes surface as errors', () => {
  for (const name of ['crash-exit-worker.mjs', 'crash-throw-worker.mjs']) {
    it(name, async () => {
      const pool = new NodeHashPool({ workerUrl: fixture(name), threads: 2 });
      const err = await pool.run(bigJobs, big).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelVerifyError);
      expect((err as ModelVerifyError).code).toBe('INTERNAL');
      expect((err as ModelVerifyError).message).toMatch(/hash worker crashed/);
      expect(pool.liveWorkers).toBe(0);
    });
  }
});

describe('results and progress', () => {
  it('keys digests by job id whatever the completion order, and reports every byte', async () => {
    writeFileSync(path.join(dir, 'small.bin'), 'abc');
    const src = await NodeSource.open(dir);
    const jobs: HashJob[] = [
      { id: 'big', path: 'big.bin', start: 0, end: 64 << 20, hash: 'sha256' },
      { id: 'small', path: 'small.bin', start: 0, end: 3, hash: 'sha256' },
      { id: 'empty', path: 'small.bin', start: 0, end: 0, hash: 'blake2b' },
    ];
    const pool = new NodeHashPool({ workerUrl, threads: 2 });
    const events: Progress[] = [];
    try {
      const got = await pool.run(jobs, src, { onProgress: (p) => events.push(p) });
      expect(Buffer.from(got.get('small')!).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(Buffer.from(got.get('big')!).toString('hex')).toBe('3b6a07d0d404fab4e23b6d34bc6696a6a312dd92821332385e5af7c01c421351');
      expect(got.get('empty')!.length).toBe(64);
      expect(events.at(-1)).toMatchObject({ bytesDone: (64 << 20) + 3, bytesTotal: (64 << 20) + 3, resourcesDone: 3, resourcesTotal: 3 });
    } finally {
      await pool.close();
    }
  });

  it('a file that shrank while being hashed is MODEL_CHANGED', async () => {
    writeFileSync(path.join(dir, 'short.bin'), 'abc');
    const src = await NodeSource.open(dir);
    const pool = new NodeHashPool({ workerUrl, threads: 1 });
    try {
      await expect(pool.run([{ id: 'short.bin', path: 'short.bin', start: 0, end: 10, hash: 'sha256' }], src)).rejects.toMatchObject({
        code: 'MODEL_CHANGED',
        resource: 'short.bin',
      });
    } finally {
      await pool.close();
    }
  });

  it('a missing file is IO_ERROR', async () => {
    const src = await NodeSource.open(dir);
    const pool = new NodeHashPool({ workerUrl, threads: 1 });
    try {
      await expect(pool.run([{ id: 'nope', path: 'nope.bin', start: 0, end: 10, hash: 'sha256' }], src)).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await pool.close();
    }
  });
});

it('concurrent runs on one pool are served one after the other, each with its own results', async () => {
  const pool = new NodeHashPool({ workerUrl, threads: 2 });
  const src = new SyntheticSource({ a: 3 << 20, b: 1 << 20 });
  const job = (p: string, end: number): HashJob => ({ id: p, path: p, start: 0, end, hash: 'sha256' });
  try {
    const [x, y] = await Promise.all([pool.run([job('a', 3 << 20)], src), pool.run([job('b', 1 << 20), job('a', 1 << 20)], src)]);
    expect([...x].map(([id]) => id)).toEqual(['a']);
    expect([...y].map(([id]) => id).sort()).toEqual(['a', 'b']);
    expect(Buffer.from(y.get('a')!).equals(Buffer.from(x.get('a')!))).toBe(false); // different ranges of 'a'
  } finally {
    await pool.close();
  }
});

describe('hashing while the walk still plans (runFeed)', () => {
  /** A tree of `n` small files in a few directories; each file's bytes name it. */
  function tree(n: number, extra?: (root: string) => void): string {
    const root = mkdtempSync(path.join(tmpdir(), 'mv-feed-'));
    for (let i = 0; i < n; i++) {
      const d = path.join(root, `d${i % 7}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, `f${i}.bin`), `file ${i}\n`.repeat(1 + (i % 5)));
    }
    extra?.(root);
    return root;
  }
  const run = (root: string, pool: NodeHashPool, opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}) =>
    NodeSource.open(root).then((src) =>
      planAndHash(src, { serialization: { method: 'files', hashType: 'sha256' }, ignore: new IgnoreSet([]), backend: pool, ...opts }),
    );

  it('streams from the first job: the same plan and digests as hashing the finished plan, and progress to the end', async () => {
    const root = tree(1500);
    const streaming = new NodeHashPool({ workerUrl, threads: 2, streamFrom: 1 });
    const whole = new NodeHashPool({ workerUrl, threads: 2, streamFrom: 1e9 });
    try {
      const events: Progress[] = [];
      const a = await run(root, streaming, { onProgress: (p) => events.push(p) });
      const b = await run(root, whole);
      expect(a.plan.jobs.map((j) => j.id)).toEqual(b.plan.jobs.map((j) => j.id));
      expect(a.digests.size).toBe(1500);
      for (const j of a.plan.jobs) {
        const want = createHash('sha256')
          .update(readFileSync(path.join(root, ...j.path.split('/'))))
          .digest('hex');
        expect(Buffer.from(a.digests.get(j.id)!).toString('hex'), j.id).toBe(want);
        expect(Buffer.from(b.digests.get(j.id)!).toString('hex')).toBe(want);
      }
      expect(events.at(-1)).toMatchObject({ resourcesDone: 1500, resourcesTotal: 1500, bytesTotal: a.plan.totalBytes, bytesDone: a.plan.totalBytes });
      // The pool serves later runs as before.
      expect((await run(root, streaming)).digests.size).toBe(1500);
    } finally {
      await Promise.all([streaming.close(), whole.close()]);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the walk's refusal (a symlink listed after hundreds of files) is the error, and hashing stops", async () => {
    const root = tree(900, (r) => symlinkSync('d0/f0.bin', path.join(r, 'zz-link')));
    const pool = new NodeHashPool({ workerUrl, threads: 2, streamFrom: 1 });
    try {
      await expect(run(root, pool)).rejects.toMatchObject({ code: 'SYMLINK_REFUSED', resource: 'zz-link' });
      expect((await run(tree(3), pool)).digests.size).toBe(3); // still usable
    } finally {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a file changed while the walk goes on is MODEL_CHANGED, and no worker is left running', async () => {
    const root = tree(1200);
    let held = 0;
    const pool = new NodeHashPool({
      workerUrl,
      threads: 1,
      streamFrom: 1,
      afterRead: (job) => {
        if (held++ === 0) writeFileSync(path.join(root, ...job.path.split('/')), 'changed, and longer than before\n');
      },
    });
    try {
      await expect(run(root, pool)).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the caller's abort mid-run is the error and leaves no worker running", async () => {
    const root = tree(1500);
    const pool = new NodeHashPool({ workerUrl, threads: 2, streamFrom: 1 });
    const ctl = new AbortController();
    try {
      const p = run(root, pool, { signal: ctl.signal, onProgress: (e) => e.resourcesDone > 0 && ctl.abort(new ModelVerifyError('ABORTED', 'by the test')) });
      await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
      expect(pool.liveWorkers).toBe(0);
    } finally {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
