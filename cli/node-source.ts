/** Filesystem ModelSource for Node: lstat-based walk, symlinks classified and contained, ranged reads. */
import { createReadStream } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ModelVerifyError } from '../core/errors.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/source.js';

export const READ_CHUNK = 1 << 20;

export class NodeFsSource implements ModelSource {
  readonly listable = true;
  readonly name: string;
  /** Absolute, symlink-resolved model path (a directory, or the file of a single-file model). */
  readonly root: string;
  readonly isFile: boolean;

  private constructor(root: string, isFile: boolean, name: string) {
    this.root = root;
    this.isFile = isFile;
    this.name = name;
  }

  static async open(modelPath: string): Promise<NodeFsSource> {
    let real: string;
    try {
      real = await realpath(modelPath);
    } catch (e) {
      throw new ModelVerifyError('MODEL_NOT_FOUND', `Model path '${modelPath}' does not exist or cannot be read`, { cause: e });
    }
    const st = await stat(real);
    if (!st.isFile() && !st.isDirectory()) {
      throw new ModelVerifyError('SPECIAL_FILE', `Model path '${modelPath}' is neither a file nor a directory`);
    }
    // The reference names '.'/'..' models after the resolved directory.
    const base = path.basename(path.resolve(modelPath));
    const name = base === '' || base === '..' || base === '.' ? path.basename(real) : base;
    return new NodeFsSource(real, st.isFile(), name);
  }

  /** Absolute path of a model-relative POSIX path (callers pass validated names only). */
  resolve(rel: string): string {
    if (this.isFile) return this.root;
    return rel === '.' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    if (this.isFile) {
      const st = await stat(this.root);
      yield { path: '.', kind: 'file', size: st.size };
      return;
    }
    yield* this.walk('', opts);
  }

  private async *walk(relDir: string, opts: ListOptions): AsyncIterable<ModelEntry> {
    opts.signal?.throwIfAborted();
    const dir = await opendir(relDir ? this.resolve(relDir) : this.root).catch((e: unknown) => {
      throw new ModelVerifyError('IO_ERROR', `Cannot read directory '${relDir || '.'}': ${(e as Error).message}`, { cause: e });
    });
    const names: { name: string; isDir: boolean }[] = [];
    for await (const d of dir) names.push({ name: d.name, isDir: d.isDirectory() });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, isDir } of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      if (isDir) {
        if (opts.prune?.(rel)) continue;
        yield* this.walk(rel, opts);
        continue;
      }
      const e = await this.entry(rel);
      if (e) yield e;
    }
  }

  private async entry(rel: string): Promise<ModelEntry | null> {
    const abs = this.resolve(rel);
    let ls;
    try {
      ls = await lstat(abs);
    } catch {
      return null;
    }
    if (ls.isFile()) return { path: rel, kind: 'file', size: ls.size };
    if (ls.isDirectory()) return null;
    if (!ls.isSymbolicLink()) return { path: rel, kind: 'other', size: 0 };
    // Symlink: resolve fully and classify; loops and dangling links are 'broken'.
    let target: string;
    try {
      target = await realpath(abs);
    } catch {
      return { path: rel, kind: 'symlink', size: 0, link: 'broken' };
    }
    const inside = target === this.root || target.startsWith(this.root + path.sep);
    const st = await stat(target).catch(() => null);
    if (!st) return { path: rel, kind: 'symlink', size: 0, link: 'broken' };
    if (!inside) return { path: rel, kind: 'symlink', size: st.isFile() ? st.size : 0, link: 'outside' };
    if (st.isDirectory()) return { path: rel, kind: 'symlink', size: 0, link: 'dir' };
    if (st.isFile()) return { path: rel, kind: 'symlink', size: st.size, link: 'file' };
    return { path: rel, kind: 'symlink', size: 0, link: 'broken' };
  }

  async stat(rel: string): Promise<ModelEntry | null> {
    if (this.isFile) return rel === '.' ? this.list()[Symbol.asyncIterator]().next().then((r) => r.value ?? null) : null;
    // Every parent must be a real directory inside the root: a symlinked parent could lead outside it.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const st = await lstat(this.resolve(parts.slice(0, i).join('/'))).catch(() => null);
      if (!st?.isDirectory()) return null;
    }
    return this.entry(rel);
  }

  open(rel: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    if (range && range.end <= range.start) return new ReadableStream({ start: (c) => c.close() });
    const s = createReadStream(this.resolve(rel), {
      highWaterMark: READ_CHUNK,
      ...(range ? { start: range.start, end: range.end - 1 } : {}),
      ...(signal ? { signal } : {}),
    });
    return Readable.toWeb(s) as ReadableStream<Uint8Array>;
  }
}
