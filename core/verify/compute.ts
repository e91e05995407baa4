/** Hash a model into a sorted manifest (used by `digest` and by signing). */
import { compareResources } from '../manifest/order.js';
import { DIGEST_SIZE, withPackedResources, type PackedResources, type Resource, type Serialization } from '../manifest/types.js';
import { StreamingBackend, type HashBackend, type Progress } from '../hash/backend.js';
import { copyDigest, type Digests } from '../hash/digests.js';
import type { IgnoreSet } from '../serialize/ignore.js';
import { JobFeed, planModel, type HashJob, type Plan } from '../serialize/plan.js';
import type { ModelSource } from '../serialize/source.js';
import { sha256, toHex } from '../util/bytes.js';
import { inPhase, type OnPhase } from '../util/phase.js';
import { fail } from '../errors.js';

/** Signing's options: planAndHash's, over every file the walk finds. */
export type ComputeOptions = Omit<PlanAndHashOptions, 'onlyPaths'>;

export interface ComputedManifest {
  /** Made on first read from `packed` (signing itself writes the statement from the packed form). */
  resources: Resource[];
  /** The resources in manifest order, packed (ids, shard ranges, raw digests). */
  packed?: PackedResources;
  /** Distinct files the resources cover. */
  files?: number;
  rootDigest: string;
  totalBytes: number;
  singleFile: boolean;
  /** Files of size 0 that the walk found (in shard mode they have no shard, so no resource covers them). */
  emptyFiles: string[];
}

/** What planAndHash needs: the walk's rules and the hashing's backend and observers. */
export interface PlanAndHashOptions {
  serialization: Pick<Serialization, 'method' | 'hashType' | 'shardSize'>;
  ignore: IgnoreSet;
  allowSymlinks?: boolean;
  /** Only these paths are planned (verification of sources that cannot list, or with unsigned files ignored). */
  onlyPaths?: ReadonlySet<string>;
  backend?: HashBackend;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Observer of the walk and hashing phases (logs, traces); see core/util/phase.ts. */
  onPhase?: OnPhase;
}

/**
 * The walk and the hashing, each as a phase for the observer: the one path signing (computeManifest) and
 * verification (verifyModel) take from a source to digests by job id.
 */
export async function planAndHash(
  source: ModelSource,
  opts: PlanAndHashOptions,
): Promise<{ plan: Awaited<ReturnType<typeof planModel>>; digests: Digests; backend: HashBackend }> {
  const backend: HashBackend = opts.backend ?? new StreamingBackend();
  const planOpts = {
    serialization: opts.serialization,
    ignore: opts.ignore,
    allowSymlinks: !!opts.allowSymlinks,
    ...(opts.onlyPaths ? { onlyPaths: opts.onlyPaths } : {}),
  };
  const walkDone = (p: Plan) => ({ files: p.files, resources: p.jobs.length, bytes: p.totalBytes });
  const hashDone = (p: Plan) => (d: Digests) => ({ resources: d.size, bytes: p.totalBytes });
  const hashOpts = (signal: AbortSignal | undefined) => ({ ...(signal ? { signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });

  if (backend.runFeed) {
    // The backend may start hashing while the walk still plans (a model of many small files: the walk's time and the
    // hashing's then overlap). A failure of either stops the other; the walk's error wins if it came first. The
    // phases stay in order for observers: `hashing` is reported from the walk's end to the last digest.
    const stop = new AbortController();
    const onAbort = () => stop.abort(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const feed = new JobFeed();
    const hashing = backend.runFeed(feed, source, hashOpts(stop.signal));
    let hashFailure: { e: unknown } | undefined;
    hashing.catch((e: unknown) => {
      hashFailure = { e };
      stop.abort(e);
    });
    try {
      let plan: Plan;
      try {
        plan = await inPhase(opts.onPhase, 'walk', { model: source.name }, () => planModel(source, { ...planOpts, signal: stop.signal, feed }), walkDone);
      } catch (e) {
        stop.abort(e);
        await hashing.catch(() => {});
        // Stopped because hashing failed: that failure is the cause.
        throw hashFailure && !opts.signal?.aborted ? hashFailure.e : e;
      }
      const digests = await inPhase(
        opts.onPhase,
        'hashing',
        { backend: backend.name, resources: plan.jobs.length, bytes: plan.totalBytes },
        () => hashing,
        hashDone(plan),
      );
      return { plan, digests: complete(plan, digests, backend), backend };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  const plan = await inPhase(
    opts.onPhase,
    'walk',
    { model: source.name },
    () => planModel(source, { ...planOpts, ...(opts.signal ? { signal: opts.signal } : {}) }),
    walkDone,
  );
  const digests = await inPhase(
    opts.onPhase,
    'hashing',
    { backend: backend.name, resources: plan.jobs.length, bytes: plan.totalBytes },
    () => backend.run(plan.jobs, source, hashOpts(opts.signal)),
    hashDone(plan),
  );
  return { plan, digests: complete(plan, digests, backend), backend };
}

/**
 * A backend must answer exactly the plan's jobs, each with a digest of the algorithm's width: a missing, extra or
 * malformed result (a backend bug, a feed that lost a job) is an internal error, never a manifest with a gap.
 */
function complete(plan: Plan, digests: Digests, backend: HashBackend): Digests {
  if (digests.size !== plan.jobs.length) fail('INTERNAL', `The ${backend.name} hash backend returned ${digests.size} digests for ${plan.jobs.length} jobs`);
  for (const j of plan.jobs) {
    if (copyDigest(digests, j.id, undefined, 0) !== DIGEST_SIZE[j.hash])
      fail('INTERNAL', `The ${backend.name} hash backend returned no ${j.hash} digest for '${j.id}'`, { resource: j.id });
  }
  return digests;
}

/** Whether the jobs are in manifest order as listed (one comparison per neighbour, as a sort of sorted input makes). */
function listedInOrder(jobs: readonly HashJob[]): boolean {
  for (let k = 1; k < jobs.length; k++) if (compareResources(jobs[k - 1]!, jobs[k]!) > 0) return false;
  return true;
}

export async function computeManifest(source: ModelSource, opts: ComputeOptions): Promise<ComputedManifest> {
  const { plan, digests } = await planAndHash(source, opts);
  const shards = opts.serialization.method === 'shards';
  // The jobs' indices sorted into manifest order (no object per job for the sort); the digests the hashers gave are
  // packed in that order, and the root is the hash of that buffer (no hex, no Resource per job: made on demand).
  // A walk that lists in manifest order already (node/walk.ts: each directory sorted, depth first) leaves nothing to
  // sort, and digests kept by position in this job list are copied in a page at a time.
  const jobs = plan.jobs;
  const inOrder = listedInOrder(jobs);
  const order = inOrder ? undefined : Array.from(jobs, (_, i) => i).sort((a, b) => compareResources(jobs[a]!, jobs[b]!));
  const width = DIGEST_SIZE[opts.serialization.hashType];
  const n = jobs.length;
  const ids: string[] = new Array(n);
  const all = new Uint8Array(n * width);
  const copied = inOrder && digests.copyAllInto?.(jobs, all) === true;
  const range = shards ? { paths: new Array<string>(n), starts: new Array<number>(n), ends: new Array<number>(n) } : undefined;
  for (let k = 0; k < n; k++) {
    const j = jobs[order ? order[k]! : k]!;
    ids[k] = j.id;
    if (!copied && copyDigest(digests, j.id, all, k * width) !== width) fail('INTERNAL', `No ${width}-byte digest for '${j.id}'`, { resource: j.id });
    if (range) {
      range.paths[k] = j.path;
      range.starts[k] = j.start;
      range.ends[k] = j.end;
    }
  }
  const packed: PackedResources = range
    ? { ids, shards: range, algorithm: plan.algorithm, width, digests: all }
    : { ids, algorithm: plan.algorithm, width, digests: all };
  const emptyFiles: string[] = [];
  let files = plan.files;
  if (shards) {
    files = 0;
    for (const [path, size] of plan.fileSizes) size === 0 ? emptyFiles.push(path) : files++;
  } else for (const j of jobs) if (j.end === 0) emptyFiles.push(j.path); // one job per file
  const root = toHex(await sha256(all));
  return withPackedResources({ rootDigest: root, totalBytes: plan.totalBytes, singleFile: plan.singleFile, emptyFiles: emptyFiles.sort(), files }, packed);
}
