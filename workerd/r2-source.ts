/**
 * ModelSource over one model's objects in R2 (`m/<model>/<path>`). Every object seen by list/stat is pinned
 * (etag + version), and every read is a conditional `get` on that etag whose version is checked again, so the
 * bytes hashed are the bytes that were listed: a concurrent overwrite fails the read instead of mixing content.
 * Every R2 failure is an IO_ERROR naming the path (never an untyped error, which the Worker would answer with
 * a 500), and a listing that ends early is an error, never a shorter model.
 */
import type { R2Bucket, R2Object } from '@cloudflare/workers-types/latest';
import { fail, ModelVerifyError } from '../core/index.js';
import { normalizeResourcePath } from '../core/manifest/index.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/index.js';

export interface Pin {
  key: string;
  etag: string;
  version: string;
  size: number;
}

export interface R2SourceOptions {
  /** False for the gate: it stats only signed paths and never walks the model. */
  listable?: boolean;
  /** Key prefix of the model's objects (default `<name>/`). */
  prefix?: string;
  /** Model-relative paths stored beside the model but not part of it (e.g. its signature). */
  exclude?: readonly string[];
}

/** Runs one R2 call; a thrown error (network, rate limit, storage fault) becomes an IO_ERROR about `path`. */
export async function r2call<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ModelVerifyError) throw e;
    fail('IO_ERROR', `Cannot ${what} '${path}' in storage: ${(e as Error)?.message ?? e}`, { resource: path, cause: e });
  }
}

/** Windows kept per source (see `window()`): two 8 MiB buffers bound the memory whatever the shard count. */
const WINDOWS = 2;

export class R2Source implements ModelSource {
  readonly listable: boolean;
  private readonly prefix: string;
  private readonly exclude: ReadonlySet<string>;
  private readonly pins = new Map<string, Pin>();
  /** Recently read SLICE-aligned windows of pinned objects, by `path\0start` (insertion order = LRU order). */
  private readonly windows = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly bucket: R2Bucket,
    readonly name: string,
    opts: R2SourceOptions = {},
  ) {
    this.listable = opts.listable ?? true;
    this.prefix = opts.prefix ?? `${name}/`;
    this.exclude = new Set(opts.exclude ?? []);
  }

  /** The etag/version an object was seen with (after list or stat). */
  pin(path: string): Pin | undefined {
    return this.pins.get(path);
  }

  private remember(path: string, o: R2Object): Pin {
    const p = { key: o.key, etag: o.etag, version: o.version, size: o.size };
    this.pins.set(path, p);
    return p;
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      opts.signal?.throwIfAborted();
      const from = cursor;
      const page = await r2call('list the files of', this.name, () =>
        this.bucket.list({ prefix: this.prefix, limit: 1000, ...(from ? { cursor: from } : {}) }),
      );
      if (!page || !Array.isArray(page.objects))
        fail('IO_ERROR', `Cannot list the files of '${this.name}': storage answered no listing`, { resource: this.name });
      for (const o of page.objects) {
        const path = o.key.slice(this.prefix.length);
        if (this.exclude.has(path)) continue;
        if (!isCanonical(path)) {
          // Written to R2 behind the API's back with a name no model can contain: refuse the model, never guess.
          yield { path: path || '(empty)', kind: 'other', size: 0 };
          continue;
        }
        if (pruned(path, opts.prune)) continue;
        this.remember(path, o);
        yield { path, kind: 'file', size: o.size };
      }
      if (page.truncated) {
        // A truncated page without a way on (or one that loops) would silently shorten the model: refuse.
        if (typeof page.cursor !== 'string' || page.cursor === '') {
          fail('IO_ERROR', `Cannot list the files of '${this.name}': storage truncated the listing without a cursor`, { resource: this.name });
        }
        if (seen.has(page.cursor)) fail('IO_ERROR', `Cannot list the files of '${this.name}': storage repeated a listing cursor`, { resource: this.name });
        seen.add(page.cursor);
        cursor = page.cursor;
      } else cursor = undefined;
    } while (cursor);
  }

  async stat(path: string): Promise<ModelEntry | null> {
    const o = await r2call('read', path, () => this.bucket.head(this.prefix + path));
    if (!o) return null;
    this.remember(path, o);
    return { path, kind: 'file', size: o.size };
  }

  /**
   * Reads in slices of SLICE bytes, each a ranged conditional `get`: large chunks keep per-chunk costs (JS,
   * DigestStream writes) negligible, memory stays bounded, and every slice is checked against the pin.
   * Reads shorter than a slice (small shards) are served from shared SLICE-aligned windows instead: a file
   * signed in 130,000 one-byte shards costs one `get` per 8 MiB, not one per shard (Workers cap subrequests).
   */
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const key = this.prefix + path;
    const bucket = this.bucket;
    const pin = this.pins.get(path);
    let pos = range?.start ?? 0;
    let end = range?.end ?? pin?.size;
    const windowed = pin !== undefined && end !== undefined && end - pos < SLICE;
    const window = (start: number) => this.window(path, pin!, start);
    return new ReadableStream<Uint8Array>({
      async pull(ctl) {
        signal?.throwIfAborted();
        if (end === undefined) {
          // Unpinned and no range: learn the size first (and pin nothing; callers that need pinning stat first).
          const h = await r2call('read', path, () => bucket.head(key));
          if (!h) fail('MODEL_CHANGED', `'${path}' was deleted while it was being verified`, { resource: path });
          end = h.size;
        }
        if (pos >= end) return ctl.close();
        if (windowed) {
          const wstart = pos - (pos % SLICE);
          const w = await window(wstart);
          const bytes = w.subarray(pos - wstart, Math.min(end, wstart + w.byteLength) - wstart);
          // The object ends before the range does: hashing must see the short read, not pad or loop.
          if (bytes.byteLength === 0) return ctl.close();
          pos += bytes.byteLength;
          // A copy: the window is shared with other jobs and must not be handed to a consumer that may transfer it.
          return ctl.enqueue(bytes.slice());
        }
        const length = Math.min(SLICE, end - pos);
        const bytes = await readSlice(bucket, key, path, pin, pos, length);
        // A short read means the object is shorter than listed: hashing must see that, not pad or loop.
        if (bytes.byteLength === 0) return ctl.close();
        pos += bytes.byteLength;
        ctl.enqueue(bytes);
      },
    });
  }

  /** The SLICE bytes of a pinned object from `start` (fewer at its end), read once and shared by every job. */
  private window(path: string, pin: Pin, start: number): Promise<Uint8Array> {
    const id = `${path}\u0000${start}`;
    let w = this.windows.get(id);
    if (w) {
      this.windows.delete(id); // refresh its place in the LRU order
    } else {
      w = readSlice(this.bucket, pin.key, path, pin, start, Math.min(SLICE, pin.size - start));
      // A failed read is not kept: the next caller asks storage again.
      w.catch(() => {
        if (this.windows.get(id) === w) this.windows.delete(id);
      });
    }
    this.windows.set(id, w);
    while (this.windows.size > WINDOWS) this.windows.delete(this.windows.keys().next().value!);
    return w;
  }
}

/** One ranged read, conditional on the pin (when there is one) and checked against its version. */
async function readSlice(bucket: R2Bucket, key: string, path: string, pin: Pin | undefined, offset: number, length: number): Promise<Uint8Array> {
  if (length <= 0) return new Uint8Array(0);
  const o = await r2call('read', path, () => bucket.get(key, { ...(pin ? { onlyIf: { etagMatches: pin.etag } } : {}), range: { offset, length } }));
  if (!o) fail('MODEL_CHANGED', `'${path}' was deleted while it was being verified`, { resource: path });
  if (!('body' in o) || (pin && o.version !== pin.version)) {
    if ('body' in o) await o.body.cancel().catch(() => {});
    fail('MODEL_CHANGED', `'${path}' was replaced while it was being verified`, { resource: path });
  }
  return new Uint8Array(await r2call('read', path, () => o.arrayBuffer()));
}

/** Bytes per ranged read: big enough to amortise a subrequest, small enough for 4 parallel jobs in 128 MB. */
export const SLICE = 8 * 1024 * 1024;

function isCanonical(path: string): boolean {
  try {
    return path !== '' && normalizeResourcePath(path) === path && !/[\u0000-\u001f\u007f\\]/.test(path);
  } catch (e) {
    if (e instanceof ModelVerifyError) return false;
    throw e;
  }
}

/** R2 has no directories: emulate ListOptions.prune by checking every ancestor of a key. */
function pruned(path: string, prune?: (dir: string) => boolean): boolean {
  if (!prune) return false;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    if (prune(path.slice(0, i))) return true;
  }
  return false;
}
