/**
 * Serializer: turns a ModelSource into the list of resources to hash (files, or shards of files), applying
 * the reference's ignore, symlink and special-file rules. It never reads file contents itself.
 */
import { fail } from '../errors.js';
import { shardId } from '../manifest/names.js';
import { resourceAlgorithm, type HashAlgorithm, type Serialization } from '../manifest/types.js';
import type { IgnoreSet } from './ignore.js';
import type { ModelEntry, ModelSource } from './source.js';

export interface HashJob {
  id: string;
  path: string;
  start: number;
  end: number;
  hash: HashAlgorithm;
}

export interface Plan {
  jobs: HashJob[];
  /** Manifest algorithm string for every job. */
  algorithm: string;
  /** Identifiers seen but not hashed because they are unsigned and the caller ignores unsigned files. */
  skippedUnsigned: string[];
  totalBytes: number;
  /**
   * Shard serialization: the current size of every planned (not ignored, not skipped) file, by path. Shard
   * verification compares it with the extent the signed shards cover, and an empty file, which has no shard at
   * all, is visible only here (oms-format §2.2: the reference emits nothing for it). Empty for whole files: each
   * file is one job (id = path, its size = `end`), and a Map of 100k sizes cost ~7 MB through the walk.
   */
  fileSizes: Map<string, number>;
  /** Planned (not ignored, not skipped) files. */
  files: number;
  /** True when the model is one file (its single resource is named "."). */
  singleFile: boolean;
}

/**
 * The jobs of a plan while the walk is still making it, for a backend that starts hashing before the walk ends
 * (HashBackend.runFeed): `jobs` only grows, in walk order, and is the plan's own job list. Waiters are woken
 * every FEED_NOTIFY jobs and at the end, not per job (a promise per file would cost more than it saves).
 */
export class JobFeed {
  readonly jobs: HashJob[] = [];
  bytes = 0;
  /** The walk finished (`failed` says whether it threw: its jobs must then not be trusted to be complete). */
  done = false;
  failed = false;
  private notified = 0;
  private waiters: (() => void)[] = [];

  /** Called by the planner after it appended jobs totalling `bytes`. */
  added(bytes: number): void {
    this.bytes += bytes;
    if (this.waiters.length > 0 && this.jobs.length - this.notified >= FEED_NOTIFY) this.wake();
  }
  end(failed: boolean): void {
    this.done = true;
    this.failed = failed;
    this.wake();
  }
  /** Resolves once more jobs arrived, the walk ended, or `signal` aborted. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.done || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => resolve();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
  private wake(): void {
    this.notified = this.jobs.length;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Jobs between two wake-ups of a JobFeed's waiters. */
export const FEED_NOTIFY = 256;

export interface PlanOptions {
  serialization: Pick<Serialization, 'method' | 'hashType' | 'shardSize'>;
  ignore: IgnoreSet;
  allowSymlinks: boolean;
  signal?: AbortSignal;
  /**
   * When set, only these paths are hashed and anything else found is reported as skipped unsigned
   * (ignore-unsigned-files). Non-listable sources always work from this list.
   */
  onlyPaths?: ReadonlySet<string>;
  /** Jobs are also published here as they are planned (the plan's job list is the feed's). */
  feed?: JobFeed;
}

export const SYMLINK_MESSAGE = (p: string) => `Cannot use '${p}' because it is a symlink. This behavior can be changed with \`allow_symlinks\`.`;
export const SYMLINK_DIR_MESSAGE = (p: string) =>
  `Cannot use '${p}': it is a symlink to a directory, and a symlinked directory is never followed, so its files could not be verified. Remove it, or ignore the path.`;
export const SPECIAL_MESSAGE = (p: string) =>
  `Cannot use '${p}' as file or directory. It could be a special file, it could be missing, or there might be a permission issue.`;

export async function planModel(source: ModelSource, opts: PlanOptions): Promise<Plan> {
  const { serialization, ignore, feed } = opts;
  if (serialization.method === 'shards' && !(serialization.shardSize && serialization.shardSize > 0)) {
    fail('MANIFEST_INVALID', 'Shard serialization needs a positive shard size');
  }
  const plan: Plan = {
    jobs: feed ? feed.jobs : [],
    algorithm: resourceAlgorithm(serialization),
    skippedUnsigned: [],
    totalBytes: 0,
    fileSizes: new Map(),
    files: 0,
    singleFile: false,
  };

  // Each entry is planned as it is listed (no list of every entry first), so a feed's backend can start early.
  let count = 0;
  let first: string | undefined;
  const take = (e: ModelEntry) => {
    count++;
    first ??= e.path;
    opts.signal?.throwIfAborted();
    if (e.path !== '.' && ignore.has(e.path)) return;
    if (opts.onlyPaths && !opts.onlyPaths.has(e.path)) {
      plan.skippedUnsigned.push(e.path);
      return;
    }
    if (e.kind === 'other') fail('SPECIAL_FILE', SPECIAL_MESSAGE(e.path), { resource: e.path });
    if (e.kind === 'symlink') {
      if (!opts.allowSymlinks) fail('SYMLINK_REFUSED', SYMLINK_MESSAGE(e.path), { resource: e.path });
      // The reference silently skips a symlinked directory (pathlib's glob does not descend into it). Skipping
      // it here would leave whatever it points at (`plugins -> .git/payload`) loadable at an unignored path
      // yet covered by no signature, so it is refused like any other file the signature cannot vouch for.
      if (e.link === 'dir') fail('SYMLINK_REFUSED', SYMLINK_DIR_MESSAGE(e.path), { resource: e.path });
      if (e.link === 'outside') {
        fail('SYMLINK_REFUSED', `Cannot use '${e.path}': the symlink points outside the model directory`, { resource: e.path });
      }
      if (e.link !== 'file') fail('SPECIAL_FILE', SPECIAL_MESSAGE(e.path), { resource: e.path });
    }
    addJobs(plan, e, serialization);
    feed?.added(e.size);
  };
  try {
    if (source.listable) {
      for await (const e of source.list({ signal: opts.signal, prune: (d) => ignore.has(d) })) take(e);
    } else {
      if (!opts.onlyPaths) fail('SOURCE_NOT_LISTABLE', `The model source '${source.name}' cannot list its files`);
      for (const p of opts.onlyPaths) {
        const e = await source.stat(p, opts.signal);
        if (e) take(e);
      }
    }
  } catch (e) {
    feed?.end(true);
    throw e;
  }
  plan.singleFile = count === 1 && first === '.';
  feed?.end(false);
  return plan;
}

function addJobs(plan: Plan, e: ModelEntry, s: PlanOptions['serialization']): void {
  if (!Number.isSafeInteger(e.size) || e.size < 0) fail('IO_ERROR', `Bad size for '${e.path}'`, { resource: e.path });
  if (s.method === 'files') {
    plan.jobs.push({ id: e.path, path: e.path, start: 0, end: small(e.size), hash: s.hashType });
  } else {
    const n = s.shardSize!;
    for (let start = 0; start < e.size; start += n) {
      const end = small(Math.min(start + n, e.size));
      plan.jobs.push({ id: shardId(e.path, start, end), path: e.path, start, end, hash: s.hashType });
    }
  }
  plan.totalBytes += e.size;
  plan.files++;
  if (s.method !== 'files') plan.fileSizes.set(e.path, e.size);
}

/**
 * The same number, as a small integer where it is one: a size read from a Float64Array is a heap number, and a
 * job that kept it held a 16-byte box besides itself (100k jobs: 1.6 MB through the walk).
 */
const small = (n: number): number => (n <= 0x3fffffff ? n | 0 : n);
