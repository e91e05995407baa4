/**
 * createVerifiedFetch: a `fetch` that hands a runtime (Transformers.js `env.fetch`, TF.js `fetchFunc`, bytes for
 * ONNX Runtime Web) only model files that match a verified OMS signature. The signature goes through
 * verifySignature (the same bundle, signature and policy checks as verifyModel), once; each request for a signed
 * file under `baseUrl` is hashed as it downloads against the signed digests (per shard for shard signatures).
 * Web-standard only: pages, Web Workers, Service Workers, Cloudflare Workers and Node.
 */
import { MAX_BUNDLE_BYTES } from '../bundle/reader.js';
import { fail } from '../errors.js';
import type { Policy } from '../policy/types.js';
import { fetchBytes } from '../sources/http-source.js';
import { verifySignature, type SignatureResult } from '../verify/verify-model.js';
import { BodyChecker, HeldBytes } from './body-check.js';
import { parseRange, resolveRange } from './range.js';
import { signedFiles, type Piece, type SignedFile } from './signed-files.js';

export interface VerifiedFetchProgress {
  url: string;
  /** The signed file's model-relative path. */
  path: string;
  bytesDone: number;
  /** Bytes expected, when known (the signed size of a shard-signed file, else the server's Content-Length). */
  bytesTotal: number | null;
}

export interface VerifiedFetchOptions {
  /** The signature: its bytes, its JSON text, or its URL (a relative URL resolves against `baseUrl`). */
  signature: string | URL | Uint8Array;
  policy: Policy;
  /** The model folder: requests under it are verified, everything else passes untouched. */
  baseUrl: string | URL;
  /** The fetch that downloads (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Files under `baseUrl` that the signature does not cover: refused (default) or fetched unverified. */
  unsigned?: 'reject' | 'passthrough';
  /**
   * `verify-then-release` (default): the Response arrives only once the whole file matched; a mismatch rejects.
   * `stream`: bytes flow as they arrive and the body errors at the end on a mismatch. Only safe for consumers
   * that use nothing before the body has ended without error (`await res.arrayBuffer()` does; a parser fed
   * chunk by chunk does not).
   */
  mode?: 'verify-then-release' | 'stream';
  onProgress?: (p: VerifiedFetchProgress) => void;
  /** Sigstore TrustedRoot JSON (default: the embedded production root). */
  trustedRoot?: unknown;
  /**
   * Most bytes held for a whole-file-signed file (OMS records no size for those; shard signatures bound a file by
   * its signed size). Default DEFAULT_MAX_FILE_BYTES.
   */
  maxFileBytes?: number;
  /**
   * verify-then-release, whole-file SHA-256: a file of at most this many bytes is held in memory (not in Blobs)
   * and hashed once it has arrived by WebCrypto's native digest, instead of by streaming wasm SHA-256 as it
   * arrives — in Chromium about twice as fast end to end (bench: `BENCH_ONLY=fetch npm run bench`). The memory
   * held is up to the file's size until the Response is read. A file whose Content-Length says it is larger
   * (and shard windows, other algorithms) is hashed as it arrives and held in Blobs; one without a length is held
   * in memory until it outgrows the bound, then moves to Blobs and streams.
   * Default DEFAULT_ONE_SHOT_BYTES; 0 = always the streaming way.
   */
  oneShotBytes?: number;
}

/** What a URL is to a verified fetch. */
export type VerifiedLookup = { kind: 'outside' } | { kind: 'unsigned'; path: string } | { kind: 'signed'; path: string; file: SignedFile };

export type VerifiedFetch = ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) & {
  /** The verified signature (signer, manifest, warnings); rejects with the signature's ModelVerifyError. */
  readonly signature: Promise<SignatureResult>;
  lookup(url: string | URL): Promise<VerifiedLookup>;
  /**
   * Checks a whole-file Response obtained elsewhere (a cache) for the signed file at `url`, exactly as a download
   * is checked; resolves with a Response of the verified bytes, rejects like the fetch would.
   */
  check(url: string | URL, response: Response): Promise<Response>;
};

export const DEFAULT_MAX_FILE_BYTES = 64 * 2 ** 30;
/** Whole files up to this size are digested in one WebCrypto call (see `oneShotBytes`). */
export const DEFAULT_ONE_SHOT_BYTES = 256 * 2 ** 20;
/** Verified whole files kept for follow-up requests (a `bytes=0-0` probe, then the download). */
const MEMO_MAX = 4;
/** Request headers not forwarded for a signed file: we choose the range, and a 304 has no bytes to verify. */
const DROPPED_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since'];
/** Response headers kept from the server; length and range are ours (the verified bytes). */
const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'cache-control'];

/** Verified bytes: in memory (a file within oneShotBytes), or a Blob. */
interface Held {
  body: Uint8Array | Blob;
  upstream: Headers;
}
const sizeOf = (h: Held) => (h.body instanceof Blob ? h.body.size : h.body.byteLength);
/**
 * A Response body of held bytes. In-memory bytes go out as a stream of views into them: constructing a Response
 * from a large array costs Chromium about as much as hashing it (it copies), a stream of views costs nothing.
 */
function bodyOf(held: Uint8Array | Blob): BodyInit {
  if (held instanceof Blob) return held;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= held.byteLength) return c.close();
      const end = Math.min(held.byteLength, at + (4 << 20));
      c.enqueue(held.subarray(at, end));
      at = end;
    },
  });
}
const sliceOf = (h: Held, start: number, end: number): BodyInit => bodyOf(h.body instanceof Blob ? h.body.slice(start, end) : h.body.subarray(start, end));
/** A memoized file waits for a follow-up request: kept in the Blob store, not in memory. */
const asBlob = (h: Held): Held =>
  h.body instanceof Blob ? h : { ...h, body: new Blob([h.body as Uint8Array<ArrayBuffer>], { type: h.upstream.get('content-type') ?? '' }) };

function byteCount(v: string | null): number | null {
  if (v === null || !/^\s*\d{1,16}\s*$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

async function loadSignature(sig: VerifiedFetchOptions['signature'], base: URL, f: typeof fetch): Promise<Uint8Array | string> {
  if (sig instanceof Uint8Array) return sig;
  if (typeof sig === 'string' && sig.trimStart().startsWith('{')) return sig;
  let url: URL;
  try {
    url = new URL(String(sig), base);
  } catch {
    fail('INPUT_MISSING', `The signature '${String(sig).slice(0, 100)}' is neither a signature's JSON nor a URL`);
  }
  return fetchBytes(url, 'signature', { fetch: f, maxBytes: MAX_BUNDLE_BYTES });
}

function responseHeaders(upstream: Headers, length: number | null): Headers {
  const h = new Headers();
  for (const k of KEPT_HEADERS) {
    const v = upstream.get(k);
    if (v !== null) h.set(k, v);
  }
  if (length !== null) h.set('content-length', String(length));
  h.set('accept-ranges', 'bytes');
  h.set('x-model-verify', 'verified');
  return h;
}

export function createVerifiedFetch(options: VerifiedFetchOptions): VerifiedFetch {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    fail('INPUT_MISSING', `baseUrl '${String(options.baseUrl)}' is not a valid URL`);
  }
  base.search = '';
  base.hash = '';
  const dir = base.href.endsWith('/') ? base.href : `${base.href}/`;
  const raw = options.fetch ?? globalThis.fetch;
  const doFetch: typeof fetch = (input, init) => raw(input, init); // an unbound global fetch throws "Illegal invocation"
  const mode = options.mode ?? 'verify-then-release';
  const unsigned = options.unsigned ?? 'reject';
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const oneShotBytes = Math.min(options.oneShotBytes ?? DEFAULT_ONE_SHOT_BYTES, maxFileBytes);

  const signature = (async () => {
    const bytes = await loadSignature(options.signature, base, doFetch);
    return verifySignature(bytes, options.policy, options.trustedRoot === undefined ? {} : { trustedRoot: options.trustedRoot });
  })();
  signature.catch(() => {}); // reported to every request under baseUrl, not as an unhandled rejection
  const files = signature.then((s) => signedFiles(s.manifest));
  files.catch(() => {});
  const memo = new Map<string, Promise<Held>>();

  /** The model-relative path of a URL under baseUrl, or null outside it. */
  function pathOf(url: URL): string | null {
    const u = new URL(url.href);
    u.search = '';
    u.hash = '';
    if (u.href === base.href && !base.href.endsWith('/')) return '.'; // a single-file model at baseUrl itself
    if (!u.href.startsWith(dir)) return null;
    if (u.href === dir) return ''; // the folder itself: under baseUrl, and no signed file
    try {
      return u.href.slice(dir.length).split('/').map(decodeURIComponent).join('/');
    } catch (e) {
      fail('PATH_UNSAFE', `'${u.href}' is not valid percent-encoding`, { cause: e });
    }
  }

  async function lookup(url: string | URL): Promise<VerifiedLookup> {
    const path = pathOf(new URL(url));
    if (path === null) return { kind: 'outside' };
    const file = fileAt(await files, path);
    return file ? { kind: 'signed', path, file } : { kind: 'unsigned', path };
  }

  /** The signed file at a path; a single-file model at baseUrl may be signed as "." (Python) or by its name (Go, spec). */
  function fileAt(table: Map<string, SignedFile>, path: string): SignedFile | undefined {
    const f = table.get(path);
    if (f || path !== '.' || table.size !== 1) return f;
    const name = decodeURIComponent(base.pathname.split('/').at(-1) ?? '');
    return table.get(name);
  }

  /** GET of a signed file's window of pieces; resolves with the response, its body not yet read. */
  async function request(
    req: Request,
    file: SignedFile,
    pieces: Piece[],
    given?: Response,
  ): Promise<{ res: Response; skip: number; limit: number; declared: number | null }> {
    const headers = new Headers(req.headers);
    for (const h of DROPPED_HEADERS) headers.delete(h);
    const ws = pieces[0]!.start;
    const we = pieces.at(-1)!.end;
    const ranged = file.method === 'shards' && (ws !== 0 || we !== file.size);
    if (ranged) headers.set('range', `bytes=${ws}-${we! - 1}`);
    let res: Response;
    try {
      res = given ?? (await doFetch(req.url, { headers, signal: req.signal }));
    } catch (e) {
      if (req.signal.aborted) throw req.signal.reason ?? e;
      fail('IO_ERROR', `Could not download ${req.url}: the server is unreachable or does not allow cross-origin requests (CORS)`, {
        resource: file.path,
        cause: e,
      });
    }
    const refuse = async (code: 'MISSING_FILE' | 'IO_ERROR' | 'HASH_MISMATCH' | 'MODEL_TOO_LARGE', message: string): Promise<never> => {
      await res.body?.cancel().catch(() => {});
      fail(code, message, { resource: file.path });
    };
    if (res.status === 404 || res.status === 410) await refuse('MISSING_FILE', `${req.url} does not exist (HTTP ${res.status})`);
    if (!res.ok || !res.body || (res.status !== 200 && res.status !== 206)) await refuse('IO_ERROR', `Could not download ${req.url}: HTTP ${res.status}`);
    let skip = 0;
    if (ranged && res.status === 206) {
      const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(res.headers.get('content-range')?.trim() ?? '');
      if (!m || Number(m[1]) !== ws) await refuse('IO_ERROR', `${req.url} answered bytes ${res.headers.get('content-range')} for a request from byte ${ws}`);
    } else if (ranged) {
      skip = ws; // the server ignored Range: its body starts at byte 0
    } else if (res.status === 206) {
      await refuse('IO_ERROR', `${req.url} answered a part (HTTP 206) to a request for the whole file`);
    }
    // A declared length past the signed extent is refused before a byte is read (an encoded body's length is of
    // the encoding, so it is left to the byte count).
    const declared = res.headers.get('content-encoding') ? null : byteCount(res.headers.get('content-length'));
    const bound = we === null ? maxFileBytes : res.status === 200 ? file.size! : we - ws;
    if (declared !== null && declared > bound) {
      if (we === null) await refuse('MODEL_TOO_LARGE', `${req.url} is ${declared} bytes, more than maxFileBytes (${maxFileBytes})`);
      await refuse('HASH_MISMATCH', `${req.url} is ${declared} bytes, more than the ${bound} bytes signed`);
    }
    return { res, skip, limit: maxFileBytes, declared };
  }

  function progress(req: Request, file: SignedFile, done: number, res: Response, pieces: Piece[]): void {
    if (!options.onProgress) return;
    const we = pieces.at(-1)!.end;
    const total = we !== null ? we - pieces[0]!.start : res.headers.get('content-encoding') ? null : byteCount(res.headers.get('content-length'));
    options.onProgress({ url: req.url, path: file.path, bytesDone: done, bytesTotal: total });
  }

  /** Downloads and verifies a window of pieces, holding the verified bytes in a Blob. */
  async function hold(req: Request, file: SignedFile, pieces: Piece[], given?: Response): Promise<Held> {
    const { res, skip, limit, declared } = await request(req, file, pieces, given);
    const checker = new BodyChecker(file, pieces, skip, limit);
    // A body declared larger than the one-shot bound goes to Blobs from its first byte (memory stays flat); an
    // undeclared one is held in memory until it outgrows the bound, then spills.
    const holder = new HeldBytes(declared !== null && declared > oneShotBytes ? 0 : oneShotBytes);
    if (!checker.digestAtEnd(holder)) holder.spill(); // streamed hashing: bytes go to Blobs as they arrive
    const reader = res.body!.getReader();
    let drained = false;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (req.signal.aborted) throw req.signal.reason ?? e;
          fail('IO_ERROR', `Download of ${req.url} broke off: ${(e as Error)?.message ?? e}`, { resource: file.path, cause: e });
        }
        if (r.done) {
          drained = true;
          break;
        }
        holder.add(await checker.push(r.value));
        progress(req, file, holder.size, res, pieces);
        if (checker.complete && pieces.at(-1)!.end !== file.size) break; // a shard window ends before the file
      }
      await checker.end();
    } finally {
      if (!drained) await reader.cancel().catch(() => {});
    }
    const body = holder.body(res.headers.get('content-type') ?? '');
    if (body instanceof Blob && body.size > 0) {
      // Chromium's Blob store holds about 500 MB: past that a Blob is made but cannot be read (measured: 480 MiB
      // read, 600 MiB "network error"). One byte read now turns that into a clear error instead of a body that
      // breaks in the consumer's hands.
      await body
        .slice(body.size - 1)
        .arrayBuffer()
        .catch((e: unknown) =>
          fail('MODEL_TOO_LARGE', `'${file.path}' matched its signature, but this browser cannot hold its ${body.size} bytes for release: use mode 'stream'`, {
            resource: file.path,
            cause: e,
          }),
        );
    }
    return { body, upstream: res.headers };
  }

  /** The whole verified file, shared by a ranged probe and the download that follows it. */
  function memoized(req: Request, file: SignedFile): Promise<Held> {
    let p = memo.get(file.path);
    if (!p) {
      p = hold(req, file, file.pieces).then(asBlob);
      memo.set(file.path, p);
      p.catch(() => memo.delete(file.path));
      while (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
    }
    return p;
  }

  function streamed(req: Request, file: SignedFile, res: Response, skip: number, limit: number): Response {
    const checker = new BodyChecker(file, file.pieces, skip, limit);
    const reader = res.body!.getReader();
    let done = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          for (;;) {
            const r = await reader.read().catch((e) => {
              if (req.signal.aborted) throw req.signal.reason ?? e;
              fail('IO_ERROR', `Download of ${req.url} broke off: ${(e as Error)?.message ?? e}`, { resource: file.path, cause: e });
            });
            if (r.done) {
              await checker.end();
              return c.close();
            }
            const part = await checker.push(r.value);
            done += part.byteLength;
            progress(req, file, done, res, file.pieces);
            if (part.byteLength > 0) return c.enqueue(part);
          }
        } catch (e) {
          await reader.cancel(e).catch(() => {});
          c.error(e);
        }
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(body, { status: 200, headers: responseHeaders(res.headers, file.size) });
  }

  async function signedGet(req: Request, file: SignedFile): Promise<Response> {
    const range = parseRange(req.headers.get('range'));
    if (range && file.method === 'shards') {
      // Only the shards the range touches are downloaded and each is checked before any byte is released.
      const size = file.size!;
      const want = resolveRange(range, size);
      if (!want) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      const pieces = file.pieces.filter((p) => p.end! > want.start && p.start <= want.end);
      const held = await hold(req, file, pieces);
      const ws = pieces[0]!.start;
      const h = responseHeaders(held.upstream, want.end - want.start + 1);
      h.set('content-range', `bytes ${want.start}-${want.end}/${size}`);
      return new Response(sliceOf(held, want.start - ws, want.end + 1 - ws), { status: 206, headers: h });
    }
    if (range) {
      // A whole-file digest says nothing about part of a file: fetch it whole, verify, then slice.
      const held = await memoized(req, file);
      const size = sizeOf(held);
      const want = resolveRange(range, size);
      if (!want) return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      const h = responseHeaders(held.upstream, want.end - want.start + 1);
      h.set('content-range', `bytes ${want.start}-${want.end}/${size}`);
      return new Response(sliceOf(held, want.start, want.end + 1), { status: 206, headers: h });
    }
    const probed = memo.get(file.path);
    if (probed) memo.delete(file.path);
    if (!probed && mode === 'stream') {
      const { res, skip, limit } = await request(req, file, file.pieces);
      return streamed(req, file, res, skip, limit);
    }
    const held = await (probed ?? hold(req, file, file.pieces));
    return new Response(bodyOf(held.body), { status: 200, headers: responseHeaders(held.upstream, sizeOf(held)) });
  }

  /**
   * An unsigned file under baseUrl: runtimes probe optional files (Transformers.js: preprocessor_config.json, …)
   * and need a plain 404 for one that does not exist, so the server is asked (HEAD) and its "not there" is passed
   * on, without a body; a file that exists is refused. No byte of an unsigned file is ever read.
   */
  async function absentOrRefused(req: Request, path: string): Promise<Response> {
    const headers = new Headers(req.headers);
    for (const h of DROPPED_HEADERS) headers.delete(h);
    const res = await doFetch(req.url, { method: 'HEAD', headers, signal: req.signal }).catch(() => null);
    await res?.body?.cancel().catch(() => {});
    if (res && (res.status === 404 || res.status === 410)) return new Response(null, { status: res.status, statusText: res.statusText });
    fail('UNSIGNED_FILE', `'${path}' lies under ${dir} but the signature does not cover it`, { resource: path });
  }

  async function verifiedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const req = new Request(input, init);
    const path = pathOf(new URL(req.url));
    if (path === null) return doFetch(input, init);
    const file = fileAt(await files, path);
    if (!file) {
      if (unsigned === 'passthrough') return doFetch(input, init);
      return absentOrRefused(req, path);
    }
    if (file.invalid) throw file.invalid;
    if (req.method === 'HEAD') {
      // No body, so nothing to verify and nothing unverified released: the server answers, its headers are its claim.
      const headers = new Headers(req.headers);
      for (const h of DROPPED_HEADERS) headers.delete(h);
      const res = await doFetch(req.url, { method: 'HEAD', headers, signal: req.signal });
      await res.body?.cancel().catch(() => {});
      return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    if (req.method !== 'GET') fail('UNSUPPORTED', `${req.method} of the signed file '${path}' is not supported: only GET and HEAD`, { resource: path });
    return signedGet(req, file);
  }

  async function check(url: string | URL, response: Response): Promise<Response> {
    const req = new Request(url);
    const path = pathOf(new URL(req.url));
    const file = path === null ? undefined : fileAt(await files, path);
    if (!file) {
      await response.body?.cancel().catch(() => {});
      fail('UNSIGNED_FILE', `'${req.url}' is not a file the signature covers`, { resource: path ?? req.url });
    }
    if (file.invalid) throw file.invalid;
    const held = await hold(req, file, file.pieces, response);
    return new Response(bodyOf(held.body), { status: 200, headers: responseHeaders(held.upstream, sizeOf(held)) });
  }

  return Object.assign(verifiedFetch, { signature, lookup, check }) as VerifiedFetch;
}
