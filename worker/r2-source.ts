/**
 * ModelSource over one model's objects in R2 (`m/<model>/<path>`). Every object seen by list/stat is pinned
 * (etag + version), and every read is a conditional `get` on that etag whose version is checked again, so the
 * bytes hashed are the bytes that were listed: a concurrent overwrite fails the read instead of mixing content.
 */
import type { R2Bucket, R2Object } from '@cloudflare/workers-types/latest';
import { fail, ModelVerifyError } from '../core/errors.js';
import { normalizeResourcePath } from '../core/manifest/names.js';
import type { ListOptions, ModelEntry, ModelSource } from '../core/serialize/source.js';
import { modelPrefix, SIGNATURE_PATH } from './names.js';

export interface Pin {
  key: string;
  etag: string;
  version: string;
  size: number;
}

export interface R2SourceOptions {
  /** False for the gate: it stats only signed paths and never walks the model. */
  listable?: boolean;
}

export class R2ModelSource implements ModelSource {
  readonly listable: boolean;
  private readonly prefix: string;
  private readonly pins = new Map<string, Pin>();

  constructor(
    private readonly bucket: R2Bucket,
    readonly name: string,
    opts: R2SourceOptions = {},
  ) {
    this.listable = opts.listable ?? true;
    this.prefix = modelPrefix(name);
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
    do {
      opts.signal?.throwIfAborted();
      const page = await this.bucket.list({ prefix: this.prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const o of page.objects) {
        const path = o.key.slice(this.prefix.length);
        if (path === SIGNATURE_PATH) continue;
        if (!isCanonical(path)) {
          // Written to R2 behind the API's back with a name no model can contain: refuse the model, never guess.
          yield { path: path || '(empty)', kind: 'other', size: 0 };
          continue;
        }
        if (pruned(path, opts.prune)) continue;
        this.remember(path, o);
        yield { path, kind: 'file', size: o.size };
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }

  async stat(path: string): Promise<ModelEntry | null> {
    const o = await this.bucket.head(this.prefix + path);
    if (!o) return null;
    this.remember(path, o);
    return { path, kind: 'file', size: o.size };
  }

  /**
   * Reads in slices of SLICE bytes, each a ranged conditional `get`: large chunks keep per-chunk costs (JS,
   * DigestStream writes) negligible, memory stays bounded, and every slice is checked against the pin.
   */
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const key = this.prefix + path;
    const bucket = this.bucket;
    const pin = this.pins.get(path);
    let pos = range?.start ?? 0;
    let end = range?.end ?? pin?.size;
    return new ReadableStream<Uint8Array>({
      async pull(ctl) {
        signal?.throwIfAborted();
        if (end === undefined) {
          // Unpinned and no range: learn the size first (and pin nothing; callers that need pinning stat first).
          const h = await bucket.head(key);
          if (!h) fail('MODEL_CHANGED', `'${path}' was deleted while it was being verified`, { resource: path });
          end = h.size;
        }
        if (pos >= end) return ctl.close();
        const length = Math.min(SLICE, end - pos);
        const o = await bucket.get(key, { ...(pin ? { onlyIf: { etagMatches: pin.etag } } : {}), range: { offset: pos, length } });
        if (!o) fail('MODEL_CHANGED', `'${path}' was deleted while it was being verified`, { resource: path });
        if (!('body' in o) || (pin && o.version !== pin.version)) {
          if ('body' in o) await o.body.cancel();
          fail('MODEL_CHANGED', `'${path}' was replaced while it was being verified`, { resource: path });
        }
        const bytes = new Uint8Array(await o.arrayBuffer());
        // A short read means the object is shorter than listed: hashing must see that, not pad or loop.
        if (bytes.byteLength === 0) return ctl.close();
        pos += bytes.byteLength;
        ctl.enqueue(bytes);
      },
    });
  }
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
