/**
 * `model-verify download SOURCE DEST`: a verified copy of a model on disk, with nothing unverified ever at a model
 * path in DEST.
 *
 * One data path: `verify`'s own runVerify (method inference, policy, precheck, serializer, hasher, comparison) runs
 * over a DownloadSource that wraps the model's source. Every byte the hasher reads is also written to a temporary
 * file in DEST/.model-verify-partial/; only after verification is each file whose every resource matched its signed
 * digest renamed to its place. Files already in DEST (regular files of the listed size) are read from DEST and
 * re-hashed, not fetched again; a file fully fetched by an interrupted run waits in the partial directory and is
 * re-hashed from there on the next run. A mismatching file is removed (an existing one too: the run is then repeated
 * once, fetching it). Paths in DEST are never followed: a symlink, a directory or a special file where a model file
 * or one of its parent directories goes is an error, never overwritten or written through.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, rmdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/index.js';
import { formatBytes } from '../core/util/index.js';
import type { VerificationReport } from '../core/verify/index.js';
import type { runVerify as RunVerify } from './main.js';
import { renderFailure, renderSuccess } from './render.js';
import { sanitize, terminalJson } from './sanitize.js';

type VerifyOptions = Parameters<typeof RunVerify>[2];
export type DownloadCliOptions = VerifyOptions & { include?: string[] };

const PARTIAL_DIR = '.model-verify-partial';
const READ_CHUNK = 1 << 20;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

/** DEST on disk: lexical model paths checked component by component with lstat, never through a link. */
class Dest {
  readonly partial: string;
  constructor(readonly root: string) {
    this.partial = path.join(root, PARTIAL_DIR);
  }

  static async open(dest: string): Promise<Dest> {
    await mkdir(dest, { recursive: true }).catch((e: unknown) => {
      throw new ModelVerifyError('IO_ERROR', `Cannot create '${dest}': ${(e as Error).message}`, { cause: e });
    });
    const st = await lstat(dest);
    if (!st.isDirectory()) throw new ModelVerifyError('PATH_UNSAFE', `The destination '${dest}' is not a directory`);
    const d = new Dest(path.resolve(dest));
    const p = await lstat(d.partial).catch((e: unknown) => (errno(e) === 'ENOENT' ? null : Promise.reject(e)));
    if (p === null) await mkdir(d.partial);
    else if (!p.isDirectory()) throw new ModelVerifyError('PATH_UNSAFE', `'${d.partial}' exists and is not a directory: refusing to use it`);
    return d;
  }

  abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /** Temporary name of a model path in the partial directory (flat: a hash of the path, any length of path). */
  temp(rel: string, state: 'part' | 'done'): string {
    return path.join(this.partial, `${createHash('sha256').update(rel).digest('hex').slice(0, 40)}.${state}`);
  }

  /** What DEST holds at `rel`: nothing, a regular file (its size), or something that must not be touched. */
  async existing(rel: string): Promise<{ kind: 'none' } | { kind: 'file'; size: number } | { kind: 'unsafe'; why: string }> {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = path.join(this.root, ...parts.slice(0, i));
      let st;
      try {
        st = await lstat(p);
      } catch (e) {
        if (errno(e) === 'ENOENT') return { kind: 'none' };
        throw new ModelVerifyError('IO_ERROR', `Cannot inspect '${p}': ${(e as Error).message}`, { resource: rel, cause: e });
      }
      const last = i === parts.length;
      if (st.isSymbolicLink()) return { kind: 'unsafe', why: `'${p}' is a symlink` };
      if (!last && !st.isDirectory()) return { kind: 'unsafe', why: `'${p}' is not a directory` };
      if (last && !st.isFile()) return { kind: 'unsafe', why: `'${p}' is ${st.isDirectory() ? 'a directory' : 'not a regular file'}` };
      if (last) return { kind: 'file', size: st.size };
    }
    return { kind: 'none' };
  }

  /** Moves a verified temporary file to `rel`, creating parents as real directories; nothing is followed or replaced but a regular file. */
  async place(rel: string, from: string): Promise<void> {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = path.join(this.root, ...parts.slice(0, i));
      const st = await lstat(p).catch((e: unknown) => (errno(e) === 'ENOENT' ? null : Promise.reject(e)));
      if (st === null) await mkdir(p).catch((e: unknown) => (errno(e) === 'EEXIST' ? undefined : Promise.reject(e)));
      else if (st.isSymbolicLink() || !st.isDirectory())
        throw new ModelVerifyError('PATH_UNSAFE', `'${p}' is not a directory: '${rel}' not written`, { resource: rel });
    }
    const target = this.abs(rel);
    const st = await lstat(target).catch((e: unknown) => (errno(e) === 'ENOENT' ? null : Promise.reject(e)));
    if (st !== null && (st.isSymbolicLink() || !st.isFile()))
      throw new ModelVerifyError('PATH_UNSAFE', `'${target}' is not a regular file: not replaced`, { resource: rel });
    await rename(from, target); // rename replaces the name itself: it never writes through a link
  }
}

/** Where the bytes of one model path come from in this run. */
type Origin = 'dest' | 'done' | 'fetch';

/** Bytes [start, end) of a local file opened without following links, checked to be a regular file of `size`. */
function localStream(file: string, size: number, start: number, end: number, rel: string): ReadableStream<Uint8Array> {
  let fh: FileHandle | undefined;
  let pos = start;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        if (!fh) {
          fh = await open(file, constants.O_RDONLY | NOFOLLOW);
          const st = await fh.stat();
          if (!st.isFile() || st.size !== size) throw new ModelVerifyError('MODEL_CHANGED', `'${file}' changed while it was being verified`, { resource: rel });
        }
        if (pos >= end) {
          await fh.close();
          return c.close();
        }
        const buf = new Uint8Array(Math.min(READ_CHUNK, end - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.byteLength, pos);
        if (bytesRead === 0) throw new ModelVerifyError('MODEL_CHANGED', `'${file}' is shorter than expected`, { resource: rel });
        pos += bytesRead;
        c.enqueue(buf.subarray(0, bytesRead));
      } catch (e) {
        await fh?.close().catch(() => {});
        throw e;
      }
    },
    async cancel() {
      await fh?.close().catch(() => {});
    },
  });
}

/**
 * The model's source as the hasher sees it during a download: only the included paths; bytes from DEST or the
 * partial directory when a complete copy is there, else from the remote, written to `<hash>.part` as they pass.
 */
class DownloadSource implements ModelSource {
  readonly name: string;
  readonly listable: boolean;
  readonly sizes = new Map<string, number>();
  readonly origins = new Map<string, Origin>();
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly written = new Map<string, number>();
  private readonly finishing = new Map<string, Promise<void>>();

  constructor(
    private readonly remote: ModelSource,
    private readonly dest: Dest,
    private readonly include: (p: string) => boolean,
    private readonly reuse: boolean,
    private readonly onFile: (rel: string, how: 'fetched' | 'present' | 'resumed', size: number) => void,
  ) {
    this.name = remote.name;
    this.listable = remote.listable;
  }

  /** Decides, once per path, where its bytes come from; refuses a path DEST cannot safely hold. */
  private async decide(rel: string, size: number): Promise<void> {
    if (this.origins.has(rel)) return;
    if (rel === '.' || rel.split('/').some((s) => s === '' || s === '.' || s === '..' || s === PARTIAL_DIR)) {
      throw new ModelVerifyError('PATH_UNSAFE', `Cannot download '${rel}' into a directory`, { resource: rel });
    }
    const at = await this.dest.existing(rel);
    if (at.kind === 'unsafe')
      throw new ModelVerifyError('PATH_UNSAFE', `Cannot download '${rel}': ${at.why} (it is never followed or overwritten)`, { resource: rel });
    this.sizes.set(rel, size);
    if (this.reuse && at.kind === 'file' && at.size === size) return void this.origins.set(rel, 'dest');
    const done = await lstat(this.dest.temp(rel, 'done')).catch(() => null);
    if (this.reuse && done?.isFile() && done.size === size) return void this.origins.set(rel, 'done');
    this.origins.set(rel, 'fetch');
  }

  async *list(opts?: ListOptions): AsyncIterable<ModelEntry> {
    for await (const e of this.remote.list(opts)) {
      if (!this.include(e.path)) continue;
      if (e.kind === 'file') this.sizes.set(e.path, e.size);
      yield e;
    }
  }

  async stat(rel: string, signal?: AbortSignal): Promise<ModelEntry | null> {
    if (!this.include(rel)) return null;
    const e = await this.remote.stat(rel, signal);
    if (e?.kind === 'file') this.sizes.set(rel, e.size);
    return e;
  }

  /** Decided on the first read of a path (ignored and unsigned-skipped files are never touched in DEST). */
  open(rel: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        inner ??= (await this.stream(rel, range, signal)).getReader();
        const r = await inner.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: async (reason) => {
        await inner?.cancel(reason).catch(() => {});
      },
    });
  }

  private decisions = new Map<string, Promise<void>>();

  private async stream(rel: string, range: { start: number; end: number } | undefined, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const size = this.sizes.get(rel);
    if (size === undefined) throw new ModelVerifyError('INTERNAL', `'${rel}' was opened before it was listed`, { resource: rel });
    let d = this.decisions.get(rel);
    if (!d) {
      d = this.decide(rel, size);
      this.decisions.set(rel, d);
    }
    await d;
    const origin = this.origins.get(rel)!;
    const start = range?.start ?? 0;
    const end = range?.end ?? size;
    if (origin === 'dest') {
      if (start === 0) this.onFile(rel, 'present', size);
      return localStream(this.dest.abs(rel), size, start, end, rel);
    }
    if (origin === 'done') {
      if (start === 0) this.onFile(rel, 'resumed', size);
      return localStream(this.dest.temp(rel, 'done'), size, start, end, rel);
    }
    let h = this.handles.get(rel);
    if (!h) {
      h = open(this.dest.temp(rel, 'part'), constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW, 0o644);
      this.handles.set(rel, h);
    }
    const fh = await h;
    const reader = this.remote.open(rel, range, signal).getReader();
    let pos = start;
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const r = await reader.read();
        if (r.done) {
          if ((this.written.get(rel) ?? 0) === size) await this.finish(rel, fh);
          return c.close();
        }
        if (pos + r.value.byteLength > end) {
          await reader.cancel().catch(() => {});
          throw new ModelVerifyError('MODEL_CHANGED', `'${rel}' is longer than the source listed`, { resource: rel });
        }
        // Written before the hasher sees it: a chunk that verifies is a chunk on disk.
        let off = 0;
        while (off < r.value.byteLength) off += (await fh.write(r.value, off, r.value.byteLength - off, pos + off)).bytesWritten;
        pos += r.value.byteLength;
        this.written.set(rel, (this.written.get(rel) ?? 0) + r.value.byteLength);
        c.enqueue(r.value);
      },
      cancel: async (reason) => {
        await reader.cancel(reason).catch(() => {});
      },
    });
  }

  /** Every byte of the path is on disk: close it and mark it complete (still unverified, still in the partial dir). */
  private finish(rel: string, fh: FileHandle): Promise<void> {
    let f = this.finishing.get(rel);
    if (!f) {
      f = (async () => {
        await fh.sync().catch(() => {});
        await fh.close();
        this.handles.delete(rel);
        await rename(this.dest.temp(rel, 'part'), this.dest.temp(rel, 'done'));
        this.onFile(rel, 'fetched', this.sizes.get(rel) ?? 0);
      })();
      this.finishing.set(rel, f);
    }
    return f;
  }

  /** Closes files left open by a run that stopped. */
  async closeAll(): Promise<void> {
    for (const h of this.handles.values()) await (await h.catch(() => null))?.close().catch(() => {});
    this.handles.clear();
    await Promise.allSettled(this.finishing.values());
  }
}

export interface DownloadResult {
  report: VerificationReport;
  dest: string;
  /** Model paths now in DEST, verified in this run, by how their bytes arrived. */
  fetched: string[];
  present: string[];
  resumed: string[];
  /** Signed paths left out by --include. */
  notDownloaded: string[];
  /** Files removed from DEST because they did not match (they are fetched again by the repeated run). */
  removed: string[];
}

/** The model path a report resource names (a shard `path:start:end` → path). */
const pathOf = (name: string, shards: boolean) => (shards ? name.replace(/:\d+:\d+$/, '') : name);

/** One verified download run; `again` once more when existing DEST files did not match and were removed. */
export async function download(
  runVerify: typeof RunVerify,
  spec: string,
  destPath: string,
  o: DownloadCliOptions,
  log: (line: string) => void,
  again = true,
): Promise<DownloadResult> {
  const dest = await Dest.open(destPath);
  const globs = o.include ?? [];
  // picomatch is loaded only for --include (every command's start-up would parse it otherwise).
  const match = globs.length ? (await import('picomatch')).default(globs, { dot: true }) : () => true;
  let ds: DownloadSource | undefined;
  let bundle: Uint8Array | undefined;
  let sigInModel: string | undefined;
  const report = await runVerify('infer', spec, o, o.progress && !o.json, {
    source: (opened, b) => {
      bundle = b;
      sigInModel = 'model.sig';
      ds = new DownloadSource(opened.source, dest, match, true, (rel, how, size) => {
        if (o.progress)
          log(
            `${how === 'fetched' ? 'downloaded' : how === 'present' ? 're-hashing (already in DEST)' : 're-hashing (resumed)'} ${rel} (${formatBytes(size)})`,
          );
      });
      return ds;
    },
  });
  const result: DownloadResult = { report, dest: dest.root, fetched: [], present: [], resumed: [], notDownloaded: [], removed: [] };
  if (!ds) return result; // failed before any byte (inputs, signature, precheck)
  await ds.closeAll();
  const shards = report.serialization?.method === 'shards';

  // --include: signed files left out are "not downloaded", not missing.
  if (globs.length) {
    const left = (name: string) => !match(pathOf(name, shards));
    result.notDownloaded = [...new Set(report.resources.filter((r) => r.status === 'missing' && left(r.name)).map((r) => pathOf(r.name, shards)))];
    report.resources = report.resources.filter((r) => !(r.status === 'missing' && left(r.name)));
    report.errors = report.errors.filter((e) => !(e.code === 'MISSING_FILE' && e.resource !== undefined && left(e.resource)));
    if (report.signer && report.errors.length === 0 && report.resources.length === 0) {
      report.errors.push({ code: 'MISSING_FILE', message: `--include ${globs.join(' ')} matches no signed file` });
    }
    report.verified = report.signer !== undefined && report.errors.length === 0;
  }

  // Per path: verified when every resource of it is ok and no error names it.
  const status = new Map<string, boolean>();
  for (const r of report.resources) {
    const p = pathOf(r.name, shards);
    status.set(p, (status.get(p) ?? true) && r.status === 'ok');
  }
  for (const e of report.errors) if (e.resource !== undefined && status.has(pathOf(e.resource, shards))) status.set(pathOf(e.resource, shards), false);

  for (const [rel, origin] of ds.origins) {
    const ok = status.get(rel) === true;
    if (origin === 'dest') {
      if (ok) result.present.push(rel);
      else if (status.has(rel)) {
        // An existing file that does not match: out of DEST (moved aside, then deleted), fetched by the next run.
        const aside = dest.temp(rel, 'part');
        await rename(dest.abs(rel), aside).catch(() => {});
        await rm(aside, { force: true });
        result.removed.push(rel);
      }
      continue;
    }
    const done = dest.temp(rel, 'done');
    if (ok) {
      try {
        await dest.place(rel, done);
        (origin === 'done' ? result.resumed : result.fetched).push(rel);
      } catch (e) {
        await rm(done, { force: true });
        report.verified = false;
        report.errors.push(toModelVerifyError(e).toJSON());
      }
    } else if (status.has(rel)) {
      await rm(done, { force: true }); // hashed and refused (or unsigned): never kept
    }
    // Not judged at all (the run stopped early): a complete .done file waits for the next run; half files go.
    await rm(dest.temp(rel, 'part'), { force: true });
  }

  // The signature beside the files, so `model-verify verify DEST` works later (only for a complete, verified copy).
  if (report.verified && !globs.length && sigInModel && bundle && !ds.origins.has(sigInModel) && (await dest.existing(sigInModel)).kind !== 'unsafe') {
    const tmp = dest.temp(sigInModel, 'part');
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW, 0o644);
    await fh.writeFile(bundle);
    await fh.close();
    await dest.place(sigInModel, tmp);
  }
  if ((await readdir(dest.partial).catch(() => ['?'])).length === 0) await rmdir(dest.partial).catch(() => {});

  if (result.removed.length && again) {
    log(`${result.removed.length} file(s) in DEST did not match the signature and were removed; fetching them again`);
    const second = await download(runVerify, spec, destPath, o, log, false);
    second.removed.unshift(...result.removed);
    second.present = second.present.filter((p) => !second.removed.includes(p));
    return second;
  }
  return result;
}

/** `download SOURCE DEST` (registered by cli/main.ts with verify's own method and policy options). */
export function registerDownload(program: Command, deps: { runVerify: typeof RunVerify; options: (cmd: Command) => Command }): void {
  const cmd = program
    .command('download')
    .description('download a model (hf://org/model[@rev], http(s):// base URL, or a path) into DEST, keeping only files that verify')
    .argument('<source>', 'hf://org/model[@revision], an http(s):// base URL, or a local model directory')
    .argument('<dest>', 'destination directory (created if missing)');
  deps
    .options(cmd)
    .option(
      '--include <glob>',
      'download only the signed files matching this glob (repeatable); the rest is reported as not downloaded',
      (v: string, p: string[] = []) => [...p, v],
    )
    .action(async (source: string, destPath: string, o: DownloadCliOptions) => {
      const log = (s: string) => process.stderr.write(`${sanitize(s)}\n`);
      let r: DownloadResult;
      try {
        r = await download(deps.runVerify, source, destPath, o, log);
      } catch (e) {
        process.stderr.write(`Download failed: ${sanitize(toModelVerifyError(e).message)}\n`);
        process.exitCode = 1;
        return;
      }
      const { report } = r;
      const summary = {
        dest: r.dest,
        fetched: r.fetched,
        alreadyPresent: r.present,
        resumed: r.resumed,
        notDownloaded: r.notDownloaded,
        removed: r.removed,
      };
      if (o.json) process.stdout.write(terminalJson({ download: summary, report }) + '\n');
      else {
        for (const w of report.warnings) process.stderr.write(`WARNING: ${sanitize(w)}\n`);
        if (report.verified) {
          process.stdout.write(renderSuccess(report) + '\n');
          process.stdout.write(
            sanitize(
              `Downloaded into ${r.dest}: ${r.fetched.length} fetched, ${r.present.length} already present, ${r.resumed.length} resumed` +
                (r.notDownloaded.length ? `; ${r.notDownloaded.length} signed file(s) not downloaded (--include)` : ''),
            ) + '\n',
          );
        } else {
          process.stderr.write(renderFailure(report) + '\n');
          process.stderr.write(sanitize(`Nothing unverified was written to ${r.dest}; ${r.fetched.length + r.resumed.length} verified file(s) placed.`) + '\n');
        }
      }
      process.exitCode = report.verified ? 0 : 1;
    });
}
