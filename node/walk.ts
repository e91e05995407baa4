/**
 * The directory walk of NodeSource, as one synchronous, resumable walker that runs either in the main thread (in
 * slices) or in an idle hash worker (hash-pool.ts lends it; then the main thread only decodes batches). Both run
 * this same code, so the checks are the same wherever it runs:
 * - depth first, each directory's entries in code-unit order, a directory descended into where it is listed;
 * - a directory is lstat-ed when listed and again after its readdir (readdir follows symlinks: a directory swapped
 *   for a link while it was read would list another tree) and must still be the same directory;
 * - every entry is lstat-ed; an entry that cannot be is an error naming it (ENOENT: it vanished, MODEL_CHANGED;
 *   anything else, e.g. EACCES or ENAMETOOLONG: IO_ERROR) unless it is ignored;
 * - symlinks are resolved fully (realpath) and classified: to a file (inside or outside the root), to a directory,
 *   broken (dangling, loops); ignored directories are never touched (`prune` is asked before their lstat).
 * Results are columns, not objects: one batch holds up to a few hundred entries' paths, kinds, sizes and identities
 * (device, inode, mtime), which is what crosses threads and what NodeSource keeps of a listing.
 */
import { lstatSync, readdirSync, realpathSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import { ModelVerifyError } from '../core/errors.js';

/** Entry kinds in a batch. The first three are readable files (they carry an identity). */
export const FILE = 0;
/** A symlink to a regular file inside the root: its identity and path are the resolved target's. */
export const LINK_FILE = 1;
/** A symlink to a regular file outside the root (the plan refuses it; a caller that relabels it reads it checked). */
export const LINK_OUTSIDE_FILE = 2;
export const LINK_DIR = 3;
/** A symlink to something outside the root that is not a regular file, or whose target cannot be statted. */
export const LINK_OUTSIDE = 4;
export const LINK_BROKEN = 5;
/** A FIFO, socket, device. */
export const OTHER = 6;

/** `prune(rels)[k]`: whether rels[k] is ignored (never descended into, never touched). */
export type Prune = (rels: readonly string[]) => ArrayLike<boolean>;

/** A walk failure as it crosses threads (a ModelVerifyError's code, message and resource). */
export interface WalkError {
  code: string;
  message: string;
  resource?: string;
}

/** Up to `n` entries of the walk, in walk order. */
export interface WalkBatch {
  n: number;
  /** Model-relative POSIX paths. */
  paths: string[];
  kinds: Uint8Array;
  /** Size in bytes (readable files; 0 otherwise). */
  sizes: Float64Array;
  /**
   * dev, ino and whole seconds of mtime per entry; `nsec` holds the rest of mtime (mtimeNs = sec·1e9 + nsec,
   * exact: Node's BigIntStats values are int64, and mtimeNs itself can pass 2^63 for dates after 2262 or be
   * negative, which neither a BigInt64Array nor a BigUint64Array holds whole).
   */
  ids: BigInt64Array;
  nsec: Int32Array;
  /** Entries read from somewhere else than root/path (symlinks to files): their index and resolved target. */
  linkAt: number[];
  linkFile: string[];
  /** The walk ended after this batch's entries; `error`: with this failure. */
  done: boolean;
  error?: unknown;
}

const NS = 1_000_000_000n;

/** mtimeNs of entry k. */
export const mtimeNsOf = (ids: BigInt64Array, nsec: Int32Array, k: number): bigint => ids[3 * k + 2]! * NS + BigInt(nsec[k]!);

/** Writes entry k's identity into the columns (mtimeNsOf reads it back): dev, ino, whole seconds, and nsec the rest. */
export function putIdentity(ids: BigInt64Array, nsec: Int32Array, k: number, dev: bigint, ino: bigint, mtimeNs: bigint): void {
  ids[3 * k] = dev;
  ids[3 * k + 1] = ino;
  ids[3 * k + 2] = mtimeNs / NS;
  nsec[k] = Number(mtimeNs % NS);
}

export const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;
export const message = (e: unknown) => (e as Error)?.message ?? String(e);
const notThere = (e: unknown) => {
  const c = errno(e);
  return c === 'ENOENT' || c === 'ELOOP' || c === 'ENOTDIR';
};

/** Columns of one batch, filled in walk order. */
export class BatchBuilder {
  n = 0;
  readonly paths: string[] = [];
  readonly kinds: Uint8Array;
  readonly sizes: Float64Array;
  readonly ids: BigInt64Array;
  readonly nsec: Int32Array;
  readonly linkAt: number[] = [];
  readonly linkFile: string[] = [];
  constructor(readonly capacity: number) {
    this.kinds = new Uint8Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.ids = new BigInt64Array(3 * capacity);
    this.nsec = new Int32Array(capacity);
  }
  add(rel: string, kind: number): number {
    const k = this.n++;
    this.paths.push(rel);
    this.kinds[k] = kind;
    return k;
  }
  /** A readable file: its identity from `st` (the entry itself, or a symlink's resolved target at `file`). */
  addFile(rel: string, kind: number, st: BigIntStats, file?: string): void {
    const k = this.add(rel, kind);
    this.sizes[k] = Number(st.size);
    putIdentity(this.ids, this.nsec, k, st.dev, st.ino, st.mtimeNs);
    if (file !== undefined) {
      this.linkAt.push(k);
      this.linkFile.push(file);
    }
  }
  finish(done: boolean, error?: unknown): WalkBatch {
    const n = this.n;
    // Exact-size columns: a listing keeps them for the whole run.
    const cut = n < this.capacity;
    return {
      n,
      paths: this.paths,
      kinds: cut ? this.kinds.slice(0, n) : this.kinds,
      sizes: cut ? this.sizes.slice(0, n) : this.sizes,
      ids: cut ? this.ids.slice(0, 3 * n) : this.ids,
      nsec: cut ? this.nsec.slice(0, n) : this.nsec,
      linkAt: this.linkAt,
      linkFile: this.linkFile,
      done,
      ...(error !== undefined ? { error } : {}),
    };
  }
}

interface OpenDir {
  rel: string;
  abs: string;
  dirents: Dirent[];
  /** Per entry: 1 when its dirent says directory and `prune` said to skip it (asked once for the directory). */
  pruned: Uint8Array | null;
  next: number;
}

/**
 * lstat of an entry failed. `walk`: it was just listed, so failing to stat it is an error; `stat`: ENOENT and
 * ENOTDIR mean "no such file" (null); other errors are still errors.
 */
export function statFailed(rel: string, e: unknown, mode: 'walk' | 'stat'): ModelVerifyError {
  if (mode === 'walk' && errno(e) === 'ENOENT') {
    return new ModelVerifyError('MODEL_CHANGED', `'${rel}' disappeared while the model was being listed`, { resource: rel, cause: e });
  }
  return new ModelVerifyError('IO_ERROR', `Cannot read '${rel}': ${message(e)}`, { resource: rel, cause: e });
}

export class Walker {
  readonly #root: string;
  readonly #prune: Prune | undefined;
  readonly #stack: OpenDir[] = [];
  #started = false;
  done = false;

  /** `root`: the absolute, symlink-resolved model directory. */
  constructor(root: string, prune?: Prune) {
    this.#root = root;
    this.#prune = prune;
  }

  /**
   * The next up to `max` entries. A failure ends the walk: it is the batch's `error`, after the entries listed
   * before it (as a generator would have yielded them, then thrown).
   */
  step(max: number): WalkBatch {
    const b = new BatchBuilder(max);
    if (this.done) return b.finish(true);
    try {
      if (!this.#started) {
        this.#started = true;
        let top: BigIntStats;
        try {
          top = lstatSync(this.#root, { bigint: true });
        } catch (e) {
          throw new ModelVerifyError('IO_ERROR', `Cannot read directory '.': ${message(e)}`, { resource: '.', cause: e });
        }
        this.#stack.push(this.#openDir('', this.#root, top));
      }
      const stack = this.#stack;
      while (b.n < max && stack.length > 0) {
        const dir = stack[stack.length - 1]!;
        if (dir.next >= dir.dirents.length) {
          stack.pop();
          continue;
        }
        const k = dir.next++;
        const d = dir.dirents[k]!;
        const name = d.name;
        const rel = dir.rel ? `${dir.rel}/${name}` : name;
        // Ignored subtrees (and ignored entries we could not stat) are never touched, as in the reference.
        if (dir.pruned?.[k]) continue;
        const sub = this.classify(rel, dir.abs + path.sep + name, 'walk', b, d.isDirectory());
        if (sub) stack.push(this.#openDir(rel, sub.abs, sub.st));
      }
      this.done = stack.length === 0;
      return b.finish(this.done);
    } catch (e) {
      this.done = true;
      this.#stack.length = 0;
      return b.finish(true, e);
    }
  }

  #pruned(rel: string): boolean {
    return !!this.#prune?.([rel])[0];
  }

  /** Lists a directory the walk is entering: its entries sorted, once it is known to still be the one lstat-ed. */
  #openDir(rel: string, abs: string, before: BigIntStats): OpenDir {
    const shown = rel || '.';
    let dirents: Dirent[];
    try {
      // One scandir per directory: awaiting a thread-pool round trip per directory left the walk idle ~0.3 ms a
      // directory; opendir's iterator costs one per 32 entries.
      dirents = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      throw new ModelVerifyError('IO_ERROR', `Cannot read directory '${shown}': ${message(e)}`, { resource: shown, cause: e });
    }
    // readdir follows symlinks: a directory swapped for a link while it was read would list another tree.
    let after: BigIntStats | null = null;
    try {
      after = lstatSync(abs, { bigint: true });
    } catch {
      // gone: reported as changed below
    }
    if (!after?.isDirectory() || after.dev !== before.dev || after.ino !== before.ino) {
      throw new ModelVerifyError('MODEL_CHANGED', `Directory '${shown}' changed while the model was being listed`, { resource: shown });
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // The subdirectories (as readdir types them) are asked about at once: in a worker that is one round trip to
    // the main thread per directory that has subdirectories, not one per subdirectory.
    let pruned: Uint8Array | null = null;
    if (this.#prune) {
      const at: number[] = [];
      for (let i = 0; i < dirents.length; i++) if (dirents[i]!.isDirectory()) at.push(i);
      if (at.length > 0) {
        const answers = this.#prune(at.map((i) => (rel ? `${rel}/${dirents[i]!.name}` : dirents[i]!.name)));
        pruned = new Uint8Array(dirents.length);
        for (let j = 0; j < at.length; j++) if (answers[j]) pruned[at[j]!] = 1;
      }
    }
    return { rel, abs, dirents, pruned, next: 0 };
  }

  /**
   * lstat one entry into `b`. Returns the directory to descend into, if it is one and not ignored. `asked`: the
   * walk already asked `prune` about it (its dirent said directory). `stat` mode: null when it does not exist.
   */
  classify(rel: string, abs: string, mode: 'walk' | 'stat', b: BatchBuilder, asked = false): { abs: string; st: BigIntStats } | null | undefined {
    let ls: BigIntStats;
    try {
      ls = lstatSync(abs, { bigint: true });
    } catch (e) {
      if (mode === 'walk' && this.#pruned(rel)) return undefined;
      if (mode === 'stat' && (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR')) return null;
      throw statFailed(rel, e, mode);
    }
    if (ls.isFile()) {
      b.addFile(rel, FILE, ls);
      return undefined;
    }
    if (ls.isDirectory()) {
      if (mode === 'stat') return null;
      // Not a directory when readdir typed it (or typed it unknown): ask now.
      if (!asked && this.#pruned(rel)) return undefined;
      return { abs, st: ls };
    }
    if (!ls.isSymbolicLink()) {
      b.add(rel, OTHER);
      return undefined;
    }
    this.#link(rel, abs, mode, b);
    return undefined;
  }

  /** Symlink: resolve fully and classify. Dangling links and loops are broken; an unreadable target is IO_ERROR. */
  #link(rel: string, abs: string, mode: 'walk' | 'stat', b: BatchBuilder): void {
    let target: string;
    try {
      target = realpathSync.native(abs);
    } catch (e) {
      if (notThere(e)) return void b.add(rel, LINK_BROKEN);
      if (mode === 'walk' && this.#pruned(rel)) return void b.add(rel, LINK_BROKEN); // ignored: the plan skips it before looking at `link`
      throw new ModelVerifyError('IO_ERROR', `Cannot resolve symlink '${rel}': ${message(e)}`, { resource: rel, cause: e });
    }
    const root = this.#root;
    const inside = target === root || target.startsWith(root + path.sep);
    let st: BigIntStats;
    try {
      // lstat of a realpath: the target itself, not another link.
      st = lstatSync(target, { bigint: true });
    } catch (e) {
      if (notThere(e)) return void b.add(rel, LINK_BROKEN); // removed after realpath
      if (!inside) return void b.add(rel, LINK_OUTSIDE); // refused anyway, never read
      throw new ModelVerifyError('IO_ERROR', `Cannot stat the target of symlink '${rel}': ${message(e)}`, { resource: rel, cause: e });
    }
    if (st.isDirectory()) return void b.add(rel, inside ? LINK_DIR : LINK_OUTSIDE);
    if (!st.isFile()) return void b.add(rel, LINK_BROKEN);
    // Outside links are recorded too: the plan refuses them, but a caller that relabels them (the reference's
    // serializer vectors do) reads the same checked way.
    b.addFile(rel, inside ? LINK_FILE : LINK_OUTSIDE_FILE, st, target);
  }
}

/** A batch as posted between threads: the paths as one string and their lengths (one string to clone, not hundreds). */
export interface WireBatch extends Omit<WalkBatch, 'paths' | 'error'> {
  joined: string;
  lens: Uint32Array;
  error?: WalkError;
}

export function toWire(b: WalkBatch): { wire: WireBatch; transfer: ArrayBuffer[] } {
  const lens = new Uint32Array(b.n);
  for (let k = 0; k < b.n; k++) lens[k] = b.paths[k]!.length;
  const { paths: _p, error, ...rest } = b;
  const wire: WireBatch = { ...rest, joined: b.paths.join(''), lens };
  if (error !== undefined) wire.error = wireError(error);
  return { wire, transfer: [lens.buffer, b.kinds.buffer, b.sizes.buffer, b.ids.buffer, b.nsec.buffer] as ArrayBuffer[] };
}

export function wireError(e: unknown): WalkError {
  if (e instanceof ModelVerifyError) return { code: e.code, message: e.message, ...(e.resource !== undefined ? { resource: e.resource } : {}) };
  return { code: 'INTERNAL', message: `The walk failed: ${message(e)}` };
}

export function fromWire(w: WireBatch): WalkBatch {
  const paths: string[] = new Array(w.n);
  const s = w.joined;
  for (let k = 0, at = 0; k < w.n; k++) {
    const end = at + w.lens[k]!;
    paths[k] = s.slice(at, end);
    at = end;
  }
  const { joined: _j, lens: _l, error, ...rest } = w;
  const b: WalkBatch = { ...rest, paths };
  if (error)
    b.error = new ModelVerifyError(error.code as ModelVerifyError['code'], error.message, error.resource !== undefined ? { resource: error.resource } : {});
  return b;
}
