/**
 * A ModelSource over HTTP(S): the files named by the signed manifest are fetched relative to a base URL
 * (e.g. a Hugging Face `…/resolve/<rev>/`), streamed, never buffered whole; shards use Range requests.
 * Web-standard only (fetch, streams), so it runs in browsers, Workers and Node alike.
 * HTTP cannot enumerate a directory, so the source is not listable: unsigned extra files go unseen.
 */
import { fail, ModelVerifyError } from '../errors.js';
import type { ModelEntry, ModelSource } from '../serialize/source.js';
import { readAtMost } from '../util/bytes.js';

export interface HttpSourceOptions {
  /** Model name for reports (default: derived from the URL). */
  name?: string;
  /** fetch implementation (default: globalThis.fetch); lets a Worker route through a binding. */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Authorization for a private hub). */
  headers?: HeadersInit;
}

/** Largest body fetchBytes reads unless told otherwise (a signature or a PEM is far smaller). */
export const DEFAULT_MAX_FETCH_BYTES = 64 << 20;

/**
 * Name of a model at `url`: the repo segment of a Hugging Face `<org>/<repo>/resolve/<rev>/`, else the last segment.
 * A malformed percent-escape (`%zz`, a lone `%`, invalid UTF-8) is a typed error: decodeURIComponent would throw a
 * bare URIError, which callers would report as an internal failure.
 */
export function modelNameFromUrl(url: URL): string {
  const parts = url.pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (e) {
        fail('MODEL_NOT_FOUND', `'${url.href}' is not a valid model URL: '${s}' is not valid percent-encoding`, { cause: e });
      }
    });
  const r = parts.indexOf('resolve');
  if (r > 0) return parts[r - 1]!;
  return parts.at(-1) ?? url.host;
}

/** Percent-encodes a model path; a lone UTF-16 surrogate (possible in a hostile manifest's JSON) is PATH_UNSAFE, not a URIError. */
function encodePath(p: string): string {
  try {
    return p.split('/').map(encodeURIComponent).join('/');
  } catch (e) {
    fail('PATH_UNSAFE', `Unsafe model path '${p}': it is not valid Unicode`, { resource: p, cause: e });
  }
}

/** A byte count from a header: digits only and a safe integer (a 10^20 length must not become a float size). */
function byteCount(v: string | null | undefined): number | null {
  if (v === null || v === undefined || !/^\d{1,16}$/.test(v.trim())) return null;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : null;
}

/** Content-Range: "bytes a-b/total" or "bytes *\/total" → its parts (start/end null for "*"), or null. */
function parseContentRange(v: string | null): { start: number | null; total: number | null } | null {
  const m = v && /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return null;
  return { start: m[1] === undefined ? null : byteCount(m[1]), total: m[3] === '*' ? null : byteCount(m[3]) };
}

function totalFromContentRange(v: string | null): number | null {
  return parseContentRange(v)?.total ?? null;
}

export class HttpSource implements ModelSource {
  readonly listable = false;
  readonly name: string;
  /** The model URL as given: a file URL for single-file models, a folder otherwise. */
  readonly base: URL;
  private readonly dir: URL;
  private readonly doFetch: typeof fetch;
  private readonly headers: HeadersInit | undefined;
  /** Sizes seen by stat(), to tell a whole-file read from a first shard. */
  private readonly sizes = new Map<string, number>();

  constructor(baseUrl: string | URL, opts: HttpSourceOptions = {}) {
    let base: URL;
    try {
      base = new URL(baseUrl);
    } catch {
      fail('MODEL_NOT_FOUND', `'${String(baseUrl)}' is not a valid URL`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') fail('MODEL_NOT_FOUND', `Only http(s) model URLs are supported, not '${base.protocol}'`);
    this.base = base;
    this.dir = new URL(base.href.endsWith('/') ? base.href : `${base.href}/`);
    // Always decoded (even with opts.name): a malformed escape fails here, typed, not at the first request.
    const derived = modelNameFromUrl(base);
    this.name = opts.name ?? derived;
    const f = opts.fetch ?? globalThis.fetch;
    this.doFetch = (input, init) => f(input, init); // an unbound global fetch throws "Illegal invocation"
    this.headers = opts.headers;
  }

  /** HTTP has no directory listing: planModel works from the signed paths instead (see `listable`). */
  // eslint-disable-next-line require-yield
  async *list(): AsyncIterable<ModelEntry> {
    fail('SOURCE_NOT_LISTABLE', `The files of ${this.base.href} cannot be listed over HTTP`);
  }

  /** URL of a model-relative path; "." is the model URL itself (a single-file model). */
  urlOf(path: string): URL {
    if (path === '.') return this.base;
    if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) fail('PATH_UNSAFE', `Unsafe model path '${path}'`, { resource: path });
    const u = new URL(encodePath(path), this.dir);
    if (!u.href.startsWith(this.dir.href)) fail('PATH_UNSAFE', `Unsafe model path '${path}'`, { resource: path });
    return u;
  }

  private async request(url: URL, init: RequestInit, path: string): Promise<Response> {
    const headers = new Headers(this.headers);
    for (const [k, v] of new Headers(init.headers)) headers.set(k, v);
    try {
      return await this.doFetch(url.href, { ...init, headers, redirect: 'follow', cache: 'no-store' });
    } catch (e) {
      if (init.signal?.aborted) throw init.signal.reason ?? e;
      if (e instanceof ModelVerifyError) throw e; // a wrapping fetch's own typed error (hf-source.ts: 401/403/429)
      // Browsers report CORS refusals and network failures as the same opaque TypeError.
      fail('IO_ERROR', `Could not download ${url.href}: the server is unreachable or does not allow cross-origin requests (CORS)`, {
        resource: path,
        cause: e,
      });
    }
  }

  private entry(path: string, size: number): ModelEntry {
    this.sizes.set(path, size);
    return { path, kind: 'file', size };
  }

  async stat(path: string, signal?: AbortSignal): Promise<ModelEntry | null> {
    const url = this.urlOf(path);
    const init = signal ? { signal } : {};
    const head = await this.request(url, { ...init, method: 'HEAD' }, path);
    await head.body?.cancel().catch(() => {});
    // Only "gone" answers mean missing; any other failure (401, 403, 5xx, …) is an error, never a missing file.
    if (head.status === 404 || head.status === 410) return null;
    const len = byteCount(head.headers.get('content-length'));
    if (head.ok && len !== null) return this.entry(path, len);
    // No usable HEAD (405, or no length exposed): ask for the first byte and read the total from Content-Range.
    const res = await this.request(url, { ...init, headers: { range: 'bytes=0-0' } }, path);
    try {
      if (res.status === 404 || res.status === 410) return null;
      const total = totalFromContentRange(res.headers.get('content-range'));
      if ((res.status === 206 || res.status === 416) && total !== null) return this.entry(path, total);
      const full = byteCount(res.headers.get('content-length'));
      if (res.status === 200 && full !== null) return this.entry(path, full);
      if (!res.ok) throw new ModelVerifyError('IO_ERROR', `Could not download ${url.href}: HTTP ${res.status}`, { resource: path });
      throw new ModelVerifyError('IO_ERROR', `Cannot tell the size of ${url.href}: the server exposes neither Content-Length nor Content-Range`, {
        resource: path,
      });
    } finally {
      await res.body?.cancel().catch(() => {});
    }
  }

  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const url = this.urlOf(path);
    const start = range?.start ?? 0;
    const end = range?.end;
    if (end !== undefined && end <= start) return new ReadableStream({ start: (c) => c.close() });
    // A whole file (as stat() sized it) is fetched without Range, so a file that grew since is noticed by the
    // caller's byte count; shards and partial reads use Range.
    const whole = start === 0 && (end === undefined || end === this.sizes.get(path));
    const ranged = !whole;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let skip = 0;
    let left = ranged && end !== undefined ? end - start : Infinity;
    const request = this.request.bind(this);
    // workerd may call pull() before an async start() has settled: pull() awaits the same promise.
    let ready: Promise<void> | undefined;
    return new ReadableStream<Uint8Array>({
      start() {
        ready = (async () => {
          const headers: HeadersInit = ranged ? { range: `bytes=${start}-${end === undefined ? '' : end - 1}` } : {};
          const res = await request(url, { headers, ...(signal ? { signal } : {}) }, path);
          if (res.status === 404 || res.status === 410) {
            await res.body?.cancel().catch(() => {});
            fail('MISSING_FILE', `${url.href} does not exist (HTTP ${res.status})`, { resource: path });
          }
          if (!res.ok || !res.body) {
            await res.body?.cancel().catch(() => {});
            fail('IO_ERROR', `Could not download ${url.href}: HTTP ${res.status}`, { resource: path });
          }
          if (ranged && res.status === 200) skip = start; // the server ignored Range: drop the prefix ourselves
          if (ranged && res.status === 206) {
            // A 206 for other bytes than asked would be hashed as this shard: refuse it instead (multipart answers
            // carry no Content-Range header and are refused too: we asked for one range).
            const got = parseContentRange(res.headers.get('content-range'));
            if (!got || got.start !== start) {
              await res.body.cancel().catch(() => {});
              fail(
                'IO_ERROR',
                `Could not download ${url.href}: the server answered bytes ${res.headers.get('content-range') ?? '(no Content-Range)'} for a request from byte ${start}`,
                { resource: path },
              );
            }
          }
          reader = res.body.getReader();
        })();
        return ready;
      },
      async pull(c) {
        await ready;
        for (;;) {
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await reader!.read();
          } catch (e) {
            if (signal?.aborted || e instanceof ModelVerifyError) throw e;
            fail('IO_ERROR', `Download of ${url.href} broke off: ${(e as Error)?.message ?? e}`, { resource: path, cause: e });
          }
          if (r.done) return c.close();
          let chunk = r.value;
          if (skip > 0) {
            const n = Math.min(skip, chunk.byteLength);
            skip -= n;
            chunk = chunk.subarray(n);
          }
          if (chunk.byteLength > left) chunk = chunk.subarray(0, left);
          left -= chunk.byteLength;
          if (chunk.byteLength > 0) c.enqueue(chunk);
          if (left === 0) {
            await reader!.cancel().catch(() => {});
            return c.close();
          }
          if (chunk.byteLength > 0) return;
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason).catch(() => {});
      },
    });
  }
}

/**
 * Fetches a small text/bytes resource (a signature, a PEM) with the same people-readable failures. At most
 * `maxBytes` (default DEFAULT_MAX_FETCH_BYTES) are ever held: a declared Content-Length over the cap is refused
 * before reading, and a body without one (chunked, or lying) is counted while it streams and cancelled as soon
 * as it passes the cap, so an endless response costs the cap, not all memory.
 */
export async function fetchBytes(
  url: string | URL,
  what: string,
  opts: { signal?: AbortSignal; fetch?: typeof fetch; maxBytes?: number } = {},
): Promise<Uint8Array> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail('MODEL_NOT_FOUND', `The ${what} URL '${String(url)}' is not valid`);
  }
  const f = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await f(u.href, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    if (e instanceof ModelVerifyError) throw e; // a wrapping fetch's own typed error
    fail('IO_ERROR', `Could not download the ${what} from ${u.href}: the server is unreachable or does not allow cross-origin requests (CORS)`, { cause: e });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    // Only "not there" is MODEL_NOT_FOUND; 401/403/5xx are failures to read, not absence.
    fail(res.status === 404 || res.status === 410 ? 'MODEL_NOT_FOUND' : 'IO_ERROR', `Could not download the ${what} from ${u.href}: HTTP ${res.status}`);
  }
  const max = opts.maxBytes ?? DEFAULT_MAX_FETCH_BYTES;
  const declared = res.headers.get('content-length');
  // Number() of a 30-digit length is a huge float (or Infinity): still "over the cap", as it should be.
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > max) {
    await res.body?.cancel().catch(() => {});
    fail('BUNDLE_TOO_LARGE', `The ${what} at ${u.href} is too large (${declared} bytes; at most ${max} are accepted)`);
  }
  return readAtMost(res.body, max, {
    // Stopped as soon as it is over the cap (the connection is closed), not after the server decides to end it.
    tooLarge: () => fail('BUNDLE_TOO_LARGE', `The ${what} at ${u.href} is too large (more than ${max} bytes)`),
    broke: (e) => {
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      fail('IO_ERROR', `Download of the ${what} from ${u.href} broke off: ${(e as Error)?.message ?? e}`, { cause: e });
    },
  });
}
