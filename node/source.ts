/**
 * Filesystem ModelSource for Node: lstat-based walk (walk.ts), symlinks classified and contained, checked reads.
 *
 * The walk never drops an entry silently: an entry it cannot stat is IO_ERROR (or MODEL_CHANGED when it vanished
 * between readdir and lstat) naming the model-relative path, unless it is ignored (the reference checks ignores
 * before it touches an entry). Every file it lists is remembered with its device, inode, size and mtime
 * (a symlink allowed to a file: its resolved target's); reads open that path once without following links and
 * check it is still that file (checked-open.ts).
 *
 * The walk runs in the main thread in slices, or in a hash worker the pool lends for it (walkWith): then the
 * main thread only turns batches of columns into entries. What a listing keeps per file is its batch's columns
 * (path, size, identity), not objects: 100k files were 100k targets, identities, BigInts and absolute paths.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelVerifyError } from '../core/errors.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/index.js';
import { checkRange, checkUnchanged, identityString, openChecked, type FileIdentity, type FileTarget } from './checked-open.js';
import {
  BatchBuilder,
  errno,
  FILE,
  LINK_DIR,
  LINK_FILE,
  LINK_OUTSIDE,
  LINK_OUTSIDE_FILE,
  message,
  mtimeNsOf,
  OTHER,
  statFailed,
  Walker,
  type Prune,
  type WalkBatch,
} from './walk.js';

export type { FileTarget } from './checked-open.js';

export const READ_CHUNK = 1 << 20;

/**
 * In the main thread the walk lstats synchronously, yielding to the event loop every WALK_SLICE entries. Measured
 * on the 2-core machine, 100k warm entries: lstatSync 0.48 s; fs/promises lstat 1.4 s with 16 in flight, 1.9 s
 * with 4 (the main thread's promise and thread-pool bookkeeping per call costs more than the syscall, so
 * concurrency does not pay). Slices keep a huge directory from blocking an embedder's event loop (abort,
 * progress) for longer than a few milliseconds, and are counted across directories, so the hash workers' answers
 * (which let a pool hashing during the walk send more work) do not wait for the walk's end.
 */
const WALK_SLICE = 256;
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Batches of a walk, wherever it runs. */
export interface WalkFeed {
  /** The next batch (after the last one, `done` is set; a failure is its `error`). */
  next(): WalkBatch | Promise<WalkBatch>;
  /** The consumer is done with the walk (finished, failed or abandoned): stop it and release what it holds. */
  stop(): void;
}

/** Runs walks elsewhere (the hash pool's idle worker): see NodeSource.walkWith. */
export interface WalkHost {
  /** A walk of `root` (absolute, resolved), or null when the host cannot take one now (the walk then runs here). */
  walk(root: string, prune: Prune | undefined, signal?: AbortSignal): WalkFeed | null;
}

function localFeed(root: string, prune: Prune | undefined, signal?: AbortSignal): WalkFeed {
  const w = new Walker(root, prune);
  let first = true;
  return {
    next: async () => {
      if (!first) await nextTurn();
      first = false;
      signal?.throwIfAborted();
      return w.step(WALK_SLICE);
    },
    stop: () => {},
  };
}

const isReadable = (kind: number) => kind <= LINK_OUTSIDE_FILE;

/** One walk's files, as the batches that listed them, and the lookups reads make by path. */
class Listing {
  readonly chunks: WalkBatch[] = [];
  /** Each chunk's `ids` as int32 pairs: copied without making a BigInt per value. */
  readonly ids32: Int32Array[] = [];
  /** Where the last lookup found its entry: the pool asks in walk order, so the next one is usually right after. */
  private at = 0;
  /** Built on the first lookup that is not in walk order (a plan run largest first, stat()). */
  private byPath: Map<string, number> | undefined;

  add(b: WalkBatch): void {
    const c = this.chunks.length;
    this.chunks.push(b);
    this.ids32.push(new Int32Array(b.ids.buffer, b.ids.byteOffset, 2 * b.ids.length));
    if (this.byPath) this.index(c);
  }
  private index(c: number): void {
    const b = this.chunks[c]!;
    for (let k = 0; k < b.n; k++) if (isReadable(b.kinds[k]!)) this.byPath!.set(b.paths[k]!, c * SPAN + k);
  }

  /** Position (chunk·SPAN + index) of the readable file listed at `rel`, or -1. */
  find(rel: string): number {
    const chunks = this.chunks;
    let c = Math.floor(this.at / SPAN);
    let k = this.at % SPAN;
    // The same entry (shards of one file) or one of the next few (ignored or unsigned entries have no jobs).
    for (let tries = 0; tries < 8 && c < chunks.length; tries++) {
      const b = chunks[c]!;
      if (k >= b.n) {
        c++;
        k = 0;
        continue;
      }
      if (b.paths[k] === rel) {
        this.at = c * SPAN + k;
        return isReadable(b.kinds[k]!) ? this.at : -1;
      }
      k++;
    }
    if (!this.byPath) {
      this.byPath = new Map();
      for (let i = 0; i < chunks.length; i++) this.index(i);
    }
    const pos = this.byPath.get(rel);
    if (pos === undefined) return -1;
    this.at = pos;
    return pos;
  }
}

/** Entries per chunk position span (batches hold at most WALK_SLICE or the worker's batch size, both below it). */
export const SPAN = 1 << 16;

/**
 * A listed file's entry. Its `identity` string is made only when read: nothing in the data path reads it (reads
 * check the target itself), and 100k of them were 300k BigInt-to-string conversions and strings kept alive.
 */
class ListedFile implements ModelEntry {
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly size: number;
  declare readonly link?: 'file' | 'outside';
  readonly #b: WalkBatch;
  readonly #k: number;
  constructor(b: WalkBatch, k: number, kind: number) {
    this.#b = b;
    this.#k = k;
    this.path = b.paths[k]!;
    this.size = b.sizes[k]!;
    this.kind = kind === FILE ? 'file' : 'symlink';
    if (kind === LINK_FILE) this.link = 'file';
    else if (kind === LINK_OUTSIDE_FILE) this.link = 'outside';
  }
  get identity(): string {
    return identityString(identityAt(this.#b, this.#k));
  }
}

function identityAt(b: WalkBatch, k: number): FileIdentity {
  return { dev: b.ids[3 * k]!, ino: b.ids[3 * k + 1]!, size: b.sizes[k]!, mtimeNs: mtimeNsOf(b.ids, b.nsec, k) };
}

/** The entry for entry k of a batch. */
function entryOf(b: WalkBatch, k: number): ModelEntry {
  const kind = b.kinds[k]!;
  if (isReadable(kind)) return new ListedFile(b, k, kind);
  const p = b.paths[k]!;
  if (kind === OTHER) return { path: p, kind: 'other', size: 0 };
  const link = kind === LINK_DIR ? 'dir' : kind === LINK_OUTSIDE ? 'outside' : 'broken';
  return { path: p, kind: 'symlink', size: 0, link };
}

/**
 * The entries of a walk's batches. A hand-written async iterator rather than an async generator: a generator's
 * `yield` costs two promise hops per entry (measured: 100k entries 70 ms vs 30 ms), and every entry here is one.
 */
class WalkEntries implements AsyncIterableIterator<ModelEntry> {
  private b: WalkBatch | undefined;
  private k = 0;
  private ended = false;
  constructor(
    private readonly feed: WalkFeed,
    private readonly listing: Listing,
    private readonly signal?: AbortSignal,
  ) {}
  [Symbol.asyncIterator](): this {
    return this;
  }
  next(): Promise<IteratorResult<ModelEntry>> {
    const b = this.b;
    if (b && this.k < b.n) return Promise.resolve({ value: entryOf(b, this.k++), done: false });
    return this.pull();
  }
  private async pull(): Promise<IteratorResult<ModelEntry>> {
    try {
      for (;;) {
        if (this.ended) return { value: undefined, done: true };
        const prev = this.b;
        if (prev?.error !== undefined) throw prev.error;
        if (prev?.done) {
          this.end();
          return { value: undefined, done: true };
        }
        this.signal?.throwIfAborted();
        const b = await this.feed.next();
        this.signal?.throwIfAborted();
        this.b = b;
        this.k = 0;
        if (b.n > 0) {
          this.listing.add(b);
          return { value: entryOf(b, this.k++), done: false };
        }
      }
    } catch (e) {
      this.end();
      throw e;
    }
  }
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.b = undefined;
    this.feed.stop();
  }
  async return(): Promise<IteratorResult<ModelEntry>> {
    this.end();
    return { value: undefined, done: true };
  }
}

export class NodeSource implements ModelSource {
  readonly listable = true;
  readonly name: string;
  /** Absolute, symlink-resolved model path (a directory, or the file of a single-file model). */
  readonly root: string;
  /** The model path as the user gave it, made absolute lexically (path.resolve): ignore paths are mapped against it. */
  readonly given: string;
  readonly isFile: boolean;
  /** The latest walk's files: what reads must find (see checked-open.ts). */
  private listing = new Listing();
  /** stat() results since that walk, which win over it (null: not a readable file now). */
  private readonly statted = new Map<string, FileTarget | null>();
  /** Where the next directory walk runs (see walkWith). */
  private host: WalkHost | undefined;

  private constructor(root: string, given: string, isFile: boolean, name: string) {
    this.root = root;
    this.given = given;
    this.isFile = isFile;
    this.name = name;
  }

  static async open(modelPath: string): Promise<NodeSource> {
    let real: string;
    try {
      real = await realpath(modelPath);
    } catch (e) {
      throw new ModelVerifyError('MODEL_NOT_FOUND', `Model path '${modelPath}' does not exist or cannot be read`, { cause: e });
    }
    const st = await stat(real).catch((e: unknown) => {
      throw new ModelVerifyError('IO_ERROR', `Cannot read model path '${modelPath}': ${message(e)}`, { cause: e });
    });
    if (!st.isFile() && !st.isDirectory()) {
      throw new ModelVerifyError('SPECIAL_FILE', `Model path '${modelPath}' is neither a file nor a directory`);
    }
    // The reference names '.'/'..' models after the resolved directory.
    const given = path.resolve(modelPath);
    const base = path.basename(given);
    const name = base === '' || base === '..' || base === '.' ? path.basename(real) : base;
    return new NodeSource(real, given, st.isFile(), name);
  }

  /**
   * Directory walks run on `host` while it is set (the hash pool sets it for the run it serves, undefined after):
   * the same walk (walk.ts) in another thread, `prune` asked of the main thread by round trip. Without a host, or
   * when it cannot take the walk, the walk runs in this thread.
   */
  walkWith(host: WalkHost | undefined): void {
    this.host = host;
  }

  /** Absolute path of a model-relative POSIX path (callers pass validated names only). */
  resolve(rel: string): string {
    if (this.isFile) return this.root;
    return rel === '.' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    const listing = new Listing();
    this.listing = listing;
    this.statted.clear();
    if (this.isFile) return this.listFile(listing);
    const { prune, signal } = opts;
    const many: Prune | undefined = prune && ((rels) => rels.map((r) => prune(r)));
    return {
      [Symbol.asyncIterator]: () => {
        const feed = this.host?.walk(this.root, many, signal) ?? localFeed(this.root, many, signal);
        return new WalkEntries(feed, listing, signal);
      },
    };
  }

  private async *listFile(listing: Listing): AsyncIterable<ModelEntry> {
    const b = await this.fileBatch();
    listing.add(b);
    yield entryOf(b, 0);
  }

  /** A single-file model's one entry. */
  private async fileBatch(): Promise<WalkBatch> {
    const ls = await lstat(this.root, { bigint: true }).catch((e: unknown) => {
      throw statFailed('.', e, 'walk');
    });
    if (!ls.isFile()) throw new ModelVerifyError('MODEL_CHANGED', `The model file '${this.name}' changed while it was being listed`, { resource: '.' });
    const b = new BatchBuilder(1);
    b.addFile('.', FILE, ls);
    return b.finish(true);
  }

  async stat(rel: string): Promise<ModelEntry | null> {
    if (this.isFile) {
      if (rel !== '.') return null;
      const b = await this.fileBatch();
      this.statted.set(rel, this.targetAt(b, 0));
      return entryOf(b, 0);
    }
    // Every parent must be a real directory inside the root: a symlinked parent could lead outside it.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      let st;
      try {
        st = await lstat(this.resolve(parent));
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
        throw new ModelVerifyError('IO_ERROR', `Cannot read '${parent}': ${message(e)}`, { resource: rel, cause: e });
      }
      if (!st.isDirectory()) return null;
    }
    const b = new BatchBuilder(1);
    try {
      new Walker(this.root).classify(rel, this.resolve(rel), 'stat', b);
    } catch (e) {
      this.statted.set(rel, null); // whatever it was before, only what we find now may be read
      throw e;
    }
    const batch = b.finish(true);
    // A regular file's target replaces whatever was recorded before; anything else must leave none behind.
    this.statted.set(rel, batch.n === 1 && isReadable(batch.kinds[0]!) ? this.targetAt(batch, 0) : null);
    return batch.n === 1 ? entryOf(batch, 0) : null;
  }

  /** The read target of entry k of a batch. */
  private targetAt(b: WalkBatch, k: number): FileTarget {
    const rel = b.paths[k]!;
    const li = b.linkAt.length > 0 ? b.linkAt.indexOf(k) : -1;
    return { name: rel, file: li >= 0 ? b.linkFile[li]! : this.resolve(rel), expect: identityAt(b, k) };
  }

  /**
   * The listed file at `rel` as a position in the latest walk (see copyTarget), or -1 when it must be looked up
   * by target() (never listed, statted since, or not a readable file). The hash pool's synchronous lookup per job.
   */
  position(rel: string): number {
    if (this.statted.size > 0 && this.statted.has(rel)) return -1;
    return this.listing.find(rel);
  }

  /**
   * Writes the file at `pos` (from position()) into slot k of a hash batch's columns (`ids32`: its BigInt64Array
   * ids as int32 pairs); returns its path when it is not the default (root/name: a symlink's resolved target).
   */
  copyTarget(pos: number, k: number, ids32: Int32Array, nsec: Int32Array, sizes: Float64Array, stride: number): string | undefined {
    const c = Math.floor(pos / SPAN);
    const b = this.listing.chunks[c]!;
    const from = this.listing.ids32[c]!;
    const j = pos % SPAN;
    for (let i = 0, a = 6 * j, o = 6 * k; i < 6; i++) ids32[o + i] = from[a + i]!;
    nsec[k] = b.nsec[j]!;
    sizes[stride * k] = b.sizes[j]!;
    if (b.kinds[j] === FILE) return undefined;
    return b.linkFile[b.linkAt.indexOf(j)];
  }

  /**
   * The listed file behind `rel` (statted now if it was never listed). Only regular files and symlinks to
   * regular files have one; anything else is IO_ERROR.
   */
  async target(rel: string): Promise<FileTarget> {
    const known = this.known(rel);
    if (known) return known;
    const e = await this.stat(rel);
    const t = this.known(rel);
    if (!t) {
      const why = e === null ? 'no such file' : 'not a regular file';
      throw new ModelVerifyError('IO_ERROR', `Cannot read '${rel}': ${why}`, { resource: rel });
    }
    return t;
  }

  private known(rel: string): FileTarget | undefined {
    if (this.statted.has(rel)) return this.statted.get(rel) ?? undefined;
    const pos = this.listing.find(rel);
    if (pos < 0) return undefined;
    return this.targetAt(this.listing.chunks[Math.floor(pos / SPAN)]!, pos % SPAN);
  }

  /**
   * Bytes [start, end) of a file. One open per stream, checked against what was listed, and checked again
   * after the last byte (see checked-open.ts). Empty ranges open and check too: an empty file swapped for a
   * link must not hash as "empty".
   */
  open(rel: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    let fh: Awaited<ReturnType<typeof openChecked>> | undefined;
    let t: FileTarget;
    let pos = 0;
    let end = 0;
    const close = async () => {
      const h = fh;
      fh = undefined;
      await h?.close().catch(() => {});
    };
    return new ReadableStream<Uint8Array>(
      {
        start: async () => {
          signal?.throwIfAborted();
          t = await this.target(rel);
          pos = range?.start ?? 0;
          end = range ? Math.max(range.start, range.end) : t.expect.size;
          checkRange(t, pos, end);
          fh = await openChecked(t);
        },
        pull: async (c) => {
          try {
            signal?.throwIfAborted();
            if (pos < end) {
              const want = Math.min(READ_CHUNK, end - pos);
              // Own (unpooled) buffer per chunk: it is handed to the consumer, who may transfer it.
              const buf = Buffer.allocUnsafeSlow(want);
              const { bytesRead } = await fh!.read(buf, 0, want, pos);
              if (bytesRead === 0) throw new ModelVerifyError('MODEL_CHANGED', `'${rel}' changed size while it was being verified`, { resource: rel });
              pos += bytesRead;
              c.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
              if (pos < end) return;
            }
            await checkUnchanged(fh!, t);
            await close();
            c.close();
          } catch (e) {
            await close();
            throw e;
          }
        },
        cancel: close,
      },
      { highWaterMark: 1 },
    );
  }
}
