/**
 * Filesystem ModelSource for Node: lstat-based walk, symlinks classified and contained, checked reads.
 *
 * The walk never drops an entry silently: an entry it cannot stat is IO_ERROR (or MODEL_CHANGED when it vanished
 * between readdir and lstat) naming the model-relative path, unless it is ignored (the reference checks ignores
 * before it touches an entry). Every file it lists is remembered with its device, inode, size and mtime
 * (a symlink allowed to a file: its resolved target's); reads open that path once without following links and
 * check it is still that file (checked-open.ts).
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { lstatSync, readdirSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import { ModelVerifyError } from '../core/errors.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/index.js';
import { checkRange, checkUnchanged, identityOf, identityString, openChecked, type FileTarget } from './checked-open.js';

export type { FileTarget } from './checked-open.js';

export const READ_CHUNK = 1 << 20;

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;
const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** What one directory entry is: a directory to descend into (with its identity), or an entry to report. */
type Classified = { dir: BigIntStats } | { entry: ModelEntry };

/**
 * The walk lstats synchronously, yielding to the event loop every WALK_SLICE entries. Measured on the 2-core
 * machine, 100k warm entries: lstatSync 0.48 s; fs/promises lstat 1.4 s with 16 in flight, 1.9 s with 4 (the
 * main thread's promise and thread-pool bookkeeping per call costs more than the syscall, so concurrency does not
 * pay); one awaited lstat at a time was seconds more. Slices keep a huge directory from blocking an embedder's
 * event loop (abort, progress) for longer than a few milliseconds, and are counted across directories: with 100
 * files a directory a per-directory count never yielded, so the hash workers' answers (which let a pool hashing
 * during the walk send more work) waited for the walk's end.
 */
const WALK_SLICE = 256;
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * A listed file's entry. Its `identity` string is made only when read: nothing in the data path reads it (reads
 * check the target itself), and 100k of them were 300k BigInt-to-string conversions and strings kept alive.
 */
class ListedFile implements ModelEntry {
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly size: number;
  declare readonly link?: 'file' | 'outside';
  readonly #target: FileTarget;
  constructor(target: FileTarget, link?: 'file' | 'outside') {
    this.#target = target;
    this.path = target.name;
    this.kind = link ? 'symlink' : 'file';
    this.size = target.expect.size;
    if (link) this.link = link;
  }
  get identity(): string {
    return identityString(this.#target.expect);
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
  /** Every file listed or statted, by model-relative path: what reads must find (see checked-open.ts). */
  private readonly targets = new Map<string, FileTarget>();
  /** Entries the walk has looked at since it last yielded to the event loop (see WALK_SLICE). */
  private sinceTurn = 0;

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

  /** Absolute path of a model-relative POSIX path (callers pass validated names only). */
  resolve(rel: string): string {
    if (this.isFile) return this.root;
    return rel === '.' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    if (this.isFile) {
      const ls = await lstat(this.root, { bigint: true }).catch((e: unknown) => {
        throw this.statFailed('.', e, 'walk');
      });
      if (!ls.isFile()) throw new ModelVerifyError('MODEL_CHANGED', `The model file '${this.name}' changed while it was being listed`, { resource: '.' });
      yield this.fileEntry('.', this.root, ls);
      return;
    }
    const top = await lstat(this.root, { bigint: true }).catch((e: unknown) => {
      throw new ModelVerifyError('IO_ERROR', `Cannot read directory '.': ${message(e)}`, { resource: '.', cause: e });
    });
    yield* this.walk(top, opts);
  }

  /**
   * Depth first, each directory's entries in code-unit order, a directory descended into where it is listed. One
   * generator for the whole tree with a stack of open directories: a recursive `yield*` handed every entry through
   * one generator per level, a promise at each.
   */
  private async *walk(top: BigIntStats, opts: ListOptions): AsyncIterable<ModelEntry> {
    const stack = [this.openDir('', top, opts)];
    while (stack.length > 0) {
      const dir = stack[stack.length - 1]!;
      if (dir.next >= dir.dirents.length) {
        stack.pop();
        continue;
      }
      if (++this.sinceTurn >= WALK_SLICE) {
        this.sinceTurn = 0;
        await nextTurn();
        opts.signal?.throwIfAborted();
      }
      const d = dir.dirents[dir.next++]!;
      const name = d.name;
      const rel = dir.rel ? `${dir.rel}/${name}` : name;
      // Ignored subtrees (and ignored entries we could not stat) are never touched, as in the reference.
      if (d.isDirectory() && opts.prune?.(rel)) continue;
      // Synchronous for everything but symlinks: an awaited call per entry was 100k promises for nothing.
      let c = this.classifyNow(rel, 'walk', opts.prune, dir.abs + path.sep + name);
      if (c instanceof Promise) c = await c;
      if (c === null) continue;
      if ('dir' in c) {
        if (opts.prune?.(rel)) continue;
        stack.push(this.openDir(rel, c.dir, opts));
      } else {
        yield c.entry;
      }
    }
  }

  /** Lists a directory the walk is entering: its entries sorted, once it is known to still be the one lstat-ed. */
  private openDir(rel: string, before: BigIntStats, opts: ListOptions): { rel: string; abs: string; dirents: Dirent[]; next: number } {
    opts.signal?.throwIfAborted();
    const shown = rel || '.';
    const abs = rel ? this.resolve(rel) : this.root;
    let dirents: Dirent[];
    try {
      // One scandir per directory, synchronously like the lstats (see WALK_SLICE): awaiting a thread-pool round
      // trip per directory left the walk idle ~0.3 ms a directory; opendir's iterator costs one per 32 entries.
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
    return { rel, abs, dirents, next: 0 };
  }

  /**
   * lstat one entry. `walk`: the entry was just listed, so failing to stat it is an error (ENOENT: it vanished,
   * MODEL_CHANGED; anything else, e.g. EACCES in a directory without search permission or ENAMETOOLONG past
   * PATH_MAX: IO_ERROR). `stat`: ENOENT/ENOTDIR mean "no such file" (null); other errors are still errors.
   */
  private classifyNow(rel: string, mode: 'walk' | 'stat', prune?: (p: string) => boolean, absPath?: string): Classified | null | Promise<Classified | null> {
    // The walk passes its directory's path plus the name (path.join per entry was a tenth of the walk's time).
    const abs = absPath ?? this.resolve(rel);
    let ls: BigIntStats;
    try {
      ls = lstatSync(abs, { bigint: true }); // see WALK_SLICE
    } catch (e) {
      this.targets.delete(rel); // whatever it was before, only what we find now may be read
      if (mode === 'walk' && prune?.(rel)) return null;
      if (mode === 'stat' && (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR')) return null;
      throw this.statFailed(rel, e, mode);
    }
    // A regular file's target replaces whatever was recorded before; anything else must leave none behind.
    if (ls.isFile()) return { entry: this.fileEntry(rel, abs, ls) };
    this.targets.delete(rel);
    if (ls.isDirectory()) return { dir: ls };
    if (!ls.isSymbolicLink()) return { entry: { path: rel, kind: 'other', size: 0 } };
    return this.linkEntry(rel, abs, prune, mode).then((entry) => ({ entry }));
  }

  /** Symlink: resolve fully and classify. Dangling links and loops are 'broken'; an unreadable target is IO_ERROR. */
  private async linkEntry(rel: string, abs: string, prune: ((p: string) => boolean) | undefined, mode: 'walk' | 'stat'): Promise<ModelEntry> {
    const broken: ModelEntry = { path: rel, kind: 'symlink', size: 0, link: 'broken' };
    const notThere = (e: unknown) => ['ENOENT', 'ELOOP', 'ENOTDIR'].includes(errno(e) ?? '');
    let target: string;
    try {
      target = await realpath(abs);
    } catch (e) {
      if (notThere(e)) return broken;
      if (mode === 'walk' && prune?.(rel)) return broken; // ignored: the plan skips it before looking at `link`
      throw new ModelVerifyError('IO_ERROR', `Cannot resolve symlink '${rel}': ${message(e)}`, { resource: rel, cause: e });
    }
    const inside = target === this.root || target.startsWith(this.root + path.sep);
    let st: BigIntStats;
    try {
      // lstat of a realpath: the target itself, not another link.
      st = await lstat(target, { bigint: true });
    } catch (e) {
      if (notThere(e)) return broken; // removed after realpath
      if (!inside) return { path: rel, kind: 'symlink', size: 0, link: 'outside' }; // refused anyway, never read
      throw new ModelVerifyError('IO_ERROR', `Cannot stat the target of symlink '${rel}': ${message(e)}`, { resource: rel, cause: e });
    }
    if (st.isDirectory()) return { path: rel, kind: 'symlink', size: 0, link: inside ? 'dir' : 'outside' };
    if (!st.isFile()) return broken;
    // Outside links are recorded too: the plan refuses them, but a caller that relabels them (the reference's
    // serializer vectors do) reads the same checked way.
    return this.fileEntry(rel, target, st, inside ? 'file' : 'outside');
  }

  /** Records what reads must find at `file` (the entry itself, or a link's resolved target). */
  private fileEntry(rel: string, file: string, st: BigIntStats, link?: 'file' | 'outside'): ModelEntry {
    const target: FileTarget = { name: rel, file, expect: identityOf(st) };
    this.targets.set(rel, target);
    return new ListedFile(target, link);
  }

  private statFailed(rel: string, e: unknown, mode: 'walk' | 'stat'): ModelVerifyError {
    if (mode === 'walk' && errno(e) === 'ENOENT') {
      return new ModelVerifyError('MODEL_CHANGED', `'${rel}' disappeared while the model was being listed`, { resource: rel, cause: e });
    }
    return new ModelVerifyError('IO_ERROR', `Cannot read '${rel}': ${message(e)}`, { resource: rel, cause: e });
  }

  async stat(rel: string): Promise<ModelEntry | null> {
    if (this.isFile) {
      if (rel !== '.') return null;
      for await (const e of this.list()) return e;
      return null;
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
    const c = await this.classifyNow(rel, 'stat');
    return c && 'entry' in c ? c.entry : null;
  }

  /** The file listed (or statted) at `rel`, if any: the hash pool's synchronous lookup per job. */
  listed(rel: string): FileTarget | undefined {
    return this.targets.get(rel);
  }

  /**
   * The listed file behind `rel` (statted now if it was never listed). Only regular files and symlinks to
   * regular files have one; anything else is IO_ERROR.
   */
  async target(rel: string): Promise<FileTarget> {
    const known = this.targets.get(rel);
    if (known) return known;
    const e = await this.stat(rel);
    const t = this.targets.get(rel);
    if (!t) {
      const why = e === null ? 'no such file' : 'not a regular file';
      throw new ModelVerifyError('IO_ERROR', `Cannot read '${rel}': ${why}`, { resource: rel });
    }
    return t;
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
