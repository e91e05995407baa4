/**
 * A ModelSource over a Hugging Face Hub repository, `hf://org/model[@revision]`, pinned to one commit.
 *
 * The revision (branch, tag or commit) is resolved once to its commit (`/api/models/{repo}/revision/{rev}`), and
 * everything after that names the commit: the listing (`/api/models/{repo}/tree/{commit}?recursive=true`, every
 * `Link: rel="next"` page) and the bytes (`/{repo}/resolve/{commit}/{path}`, redirects to the CDN followed, Range
 * for shards). So the files listed, the files hashed and the commit in the report are one revision even when the
 * branch moves meanwhile. The repository is listable: unsigned extra files are seen as for a local folder.
 *
 * Why the documented HTTP API and not `@huggingface/hub` (2.17.5): its listFiles follows `Link` pages without a
 * bound and to any origin (with the token), and reads each page with an unbounded `res.json()`; its downloadFile
 * answers a Blob (switching to the Xet protocol for Xet-backed files, more code in the browser bundle) rather than a
 * Range-able stream with our typed errors. What we need is three GET endpoints; they are written out here with the
 * bounds every hostile input needs, over web-standard fetch only (Node, browsers, workerd alike).
 *
 * Credentials: the token goes to the endpoint's origin only. Bytes are fetched with `redirect: 'follow'`, and the
 * fetch standard drops `Authorization` when a redirect leaves the origin (the CDN gets a signed URL, not the token);
 * the tests check that the CDN never sees it. 401, 403 and 429 are setup errors naming repo, revision, path and
 * status, never a verdict about the model.
 */
import { fail, ModelVerifyError } from '../errors.js';
import type { ListOptions, ModelEntry, ModelSource } from '../serialize/source.js';
import { DEFAULT_MAX_FETCH_BYTES, fetchBytes, HttpSource } from './http-source.js';
import { readAtMost } from '../util/bytes.js';

export const HF_DEFAULT_ENDPOINT = 'https://huggingface.co';
/** One tree page or revision answer (the Hub's pages are ~1000 entries, well under 1 MiB). */
export const MAX_HF_JSON_BYTES = 32 << 20;
/** Bounds on the listing: pages followed and entries kept (the manifest reader's own MAX_RESOURCES). */
export const MAX_HF_TREE_PAGES = 10_000;
export const MAX_HF_TREE_ENTRIES = 1_000_000;

export interface HfSpec {
  /** `org/model` (or a legacy single-segment name). */
  repo: string;
  /** As asked: a branch, tag or commit; default `main`. */
  revision: string;
}

export interface HfSourceOptions {
  /** Hub base URL (HF_ENDPOINT: mirrors, private hubs). Default https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated and private repositories (HF_TOKEN in the CLI). */
  token?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Bounds (tests lower them). */
  maxPages?: number;
  maxEntries?: number;
}

/** The Hub's recorded facts about one file of the pinned commit. */
export interface HfTreeFile {
  path: string;
  size: number;
  /** Git blob id (sha1 of the git object); not comparable with a sha256 digest. */
  oid?: string;
  /** For LFS files: the sha256 of the content, as the Hub recorded it at upload. */
  lfsSha256?: string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** `hf://org/model[@revision]` (the `hf://` prefix optional when `bare` is allowed) → repo and revision. */
export function parseHfSpec(spec: string, opts: { bare?: boolean } = {}): HfSpec {
  let rest = spec.trim();
  if (/^hf:\/\//i.test(rest)) rest = rest.slice(5);
  else if (!opts.bare) fail('MODEL_NOT_FOUND', `'${spec}' is not an hf://org/model[@revision] reference`);
  const at = rest.indexOf('@');
  const repo = (at === -1 ? rest : rest.slice(0, at)).replace(/\/+$/, '');
  const revision = at === -1 ? 'main' : rest.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => SEGMENT.test(p) && !p.includes('..') && !p.endsWith('.git'))) {
    fail('MODEL_NOT_FOUND', `'${spec}' is not a Hugging Face repository name (expected hf://org/model[@revision])`);
  }
  // Revisions are git refs or commits: printable, bounded, never a path that climbs.
  if (revision === '' || revision.length > 256 || /[\u0000-\u0020\u007f\\]/.test(revision) || revision.split('/').some((s) => s === '..' || s === '.')) {
    fail('MODEL_NOT_FOUND', `'${spec}' names no valid revision after '@'`);
  }
  return { repo, revision };
}

const COMMIT = /^[0-9a-f]{40}$/;

/** Reads at most `max` bytes of a body (a declared or streamed overrun is refused, the transfer cancelled). */
async function readBounded(res: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > max) {
    await res.body?.cancel().catch(() => {});
    fail('IO_ERROR', `The Hub's ${what} is too large (${declared} bytes; at most ${max} are read)`);
  }
  return readAtMost(res.body, max, {
    tooLarge: () => fail('IO_ERROR', `The Hub's ${what} is too large (more than ${max} bytes)`),
    broke: (e) => fail('IO_ERROR', `The Hub's ${what} broke off: ${(e as Error)?.message ?? e}`, { cause: e }),
  });
}

/** `Link: <url>; rel="next", …` → the next URL, or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.slice(0, 16384).split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/** A tree entry's path as the Hub lists it: relative, POSIX, no empty, `.` or `..` segment. */
function safeTreePath(p: unknown): p is string {
  return (
    typeof p === 'string' &&
    p.length > 0 &&
    p.length <= 4096 &&
    !p.startsWith('/') &&
    !p.includes('\\') &&
    !/[\u0000]/.test(p) &&
    p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  );
}

export class HfSource implements ModelSource {
  readonly listable = true;
  readonly name: string;
  readonly repo: string;
  /** The revision as asked (branch, tag or commit). */
  readonly revision: string;
  /** The commit it resolved to: everything is read at this commit. */
  readonly commit: string;
  readonly endpoint: string;
  private readonly files: Map<string, HfTreeFile>;
  private readonly http: HttpSource;
  private readonly doFetch: typeof fetch;
  private readonly token: string | undefined;

  private constructor(spec: HfSpec, commit: string, endpoint: string, files: Map<string, HfTreeFile>, opts: HfSourceOptions, doFetch: typeof fetch) {
    this.repo = spec.repo;
    this.revision = spec.revision;
    this.commit = commit;
    this.endpoint = endpoint;
    this.name = spec.repo.split('/').at(-1)!;
    this.files = files;
    this.token = opts.token;
    this.doFetch = doFetch;
    this.http = new HttpSource(`${endpoint}/${spec.repo}/resolve/${commit}/`, {
      name: this.name,
      fetch: (input, init) => this.checked(doFetch, input, init),
      ...(opts.token ? { headers: { authorization: `Bearer ${opts.token}` } } : {}),
    });
  }

  /** Resolves the revision to its commit and lists that commit's files (bounded, every page). */
  static async open(spec: string | HfSpec, opts: HfSourceOptions = {}): Promise<HfSource> {
    const s = typeof spec === 'string' ? parseHfSpec(spec) : spec;
    let endpoint: string;
    try {
      const u = new URL(opts.endpoint ?? HF_DEFAULT_ENDPOINT);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
      endpoint = u.href.replace(/\/+$/, '');
    } catch {
      fail('INPUT_MISSING', `The Hub endpoint '${opts.endpoint}' is not an http(s) URL (HF_ENDPOINT)`);
    }
    const f = opts.fetch ?? globalThis.fetch;
    const doFetch: typeof fetch = (input, init) => f(input, init); // an unbound global fetch throws "Illegal invocation"
    const ctx = { ...s, endpoint, token: opts.token, doFetch, signal: opts.signal };

    const info = await hubJson(ctx, `${endpoint}/api/models/${s.repo}/revision/${encodeURIComponent(s.revision)}`, 'revision');
    const commit = (info.json as { sha?: unknown } | null)?.sha;
    if (typeof commit !== 'string' || !COMMIT.test(commit)) {
      fail('IO_ERROR', `The Hub did not resolve ${s.repo}@${s.revision} to a commit (no 40-hex 'sha' in its answer)`);
    }
    if (COMMIT.test(s.revision) && commit !== s.revision) {
      fail('IO_ERROR', `The Hub resolved commit ${s.revision} of ${s.repo} to another commit (${commit}): refusing it`);
    }

    const files = new Map<string, HfTreeFile>();
    const maxPages = opts.maxPages ?? MAX_HF_TREE_PAGES;
    const maxEntries = opts.maxEntries ?? MAX_HF_TREE_ENTRIES;
    const origin = new URL(endpoint).origin;
    const seen = new Set<string>();
    let url: string | null = `${endpoint}/api/models/${s.repo}/tree/${commit}?recursive=true&expand=false`;
    for (let page = 0; url !== null; page++) {
      if (page >= maxPages) fail('MODEL_TOO_LARGE', `The listing of ${s.repo}@${commit} has more than ${maxPages} pages`);
      if (seen.has(url)) fail('IO_ERROR', `The Hub's listing of ${s.repo}@${commit} loops (page ${url} again)`);
      seen.add(url);
      const { json, res } = await hubJson({ ...ctx, revision: commit }, url, 'file listing');
      if (!Array.isArray(json)) fail('IO_ERROR', `The Hub's file listing of ${s.repo}@${commit} is not a list`);
      for (const e of json as unknown[]) {
        const t = e as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown } };
        if (t?.type === 'directory') continue;
        if (!safeTreePath(t?.path)) fail('PATH_UNSAFE', `The Hub lists an unsafe path in ${s.repo}@${commit}: ${JSON.stringify(t?.path)?.slice(0, 200)}`);
        if (t.type !== 'file' || !Number.isSafeInteger(t.size) || (t.size as number) < 0) {
          fail('IO_ERROR', `The Hub lists '${t.path}' in ${s.repo}@${commit} with no valid type and size`, { resource: t.path });
        }
        if (files.has(t.path)) fail('IO_ERROR', `The Hub lists '${t.path}' twice in ${s.repo}@${commit}`, { resource: t.path });
        if (files.size >= maxEntries) fail('MODEL_TOO_LARGE', `${s.repo}@${commit} lists more than ${maxEntries} files`);
        const lfs = typeof t.lfs?.oid === 'string' && /^[0-9a-f]{64}$/.test(t.lfs.oid) ? t.lfs.oid : undefined;
        files.set(t.path, {
          path: t.path,
          size: t.size as number,
          ...(typeof t.oid === 'string' ? { oid: t.oid.slice(0, 128) } : {}),
          ...(lfs ? { lfsSha256: lfs } : {}),
        });
      }
      const next = nextLink(res.headers.get('link'));
      url = null;
      if (next !== null) {
        let n: URL;
        try {
          n = new URL(next, res.url || endpoint);
        } catch {
          fail('IO_ERROR', `The Hub's listing of ${s.repo}@${commit} links to an invalid next page`);
        }
        // The token goes with every page: only to the Hub's own origin.
        if (n.origin !== origin) fail('IO_ERROR', `The Hub's listing of ${s.repo}@${commit} links to another origin (${n.origin}): refusing to follow it`);
        url = n.href;
      }
    }
    return new HfSource(s, commit, endpoint, files, opts, doFetch);
  }

  /** `hf://org/model@commit`: the pinned location for reports. */
  get pinned(): string {
    return `hf://${this.repo}@${this.commit}`;
  }

  /** What the Hub recorded for a path of the pinned commit (the precheck reads its LFS sha256). */
  treeFile(path: string): HfTreeFile | undefined {
    return this.files.get(path);
  }

  /** Every file the Hub lists, by path. */
  treeFiles(): IterableIterator<HfTreeFile> {
    return this.files.values();
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    for (const f of [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      opts.signal?.throwIfAborted();
      const parts = f.path.split('/');
      let pruned = false;
      for (let i = 1; i < parts.length && !pruned; i++) pruned = !!opts.prune?.(parts.slice(0, i).join('/'));
      if (!pruned) yield { path: f.path, kind: 'file', size: f.size };
    }
  }

  async stat(path: string): Promise<ModelEntry | null> {
    const f = this.files.get(path);
    return f ? { path, kind: 'file', size: f.size } : null;
  }

  /**
   * Bytes of a file at the pinned commit. A read of the whole listed file goes without Range, so a server that
   * sends more than the listing said is caught by the hasher's byte count; shards use Range.
   */
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const f = this.files.get(path);
    const whole = f !== undefined && (range === undefined || (range.start === 0 && range.end === f.size));
    return this.http.open(path, whole ? undefined : range, signal);
  }

  /** The resolve URL of a path at the pinned commit. */
  urlOf(path: string): URL {
    return this.http.urlOf(path);
  }

  /** A small file of the pinned commit (the signature), at most `maxBytes`, with the token. */
  async readFile(path: string, what: string, maxBytes = DEFAULT_MAX_FETCH_BYTES, signal?: AbortSignal): Promise<Uint8Array> {
    const url = this.http.urlOf(path);
    const headers = this.token ? { authorization: `Bearer ${this.token}` } : undefined;
    return fetchBytes(url, what, {
      maxBytes,
      ...(signal ? { signal } : {}),
      fetch: (input, init) => this.checked(this.doFetch, input, { ...init, ...(headers ? { headers } : {}) }, path),
    });
  }

  /** Every request for bytes: 401/403/429 become setup errors naming the repo, commit, path and status. */
  private async checked(f: typeof fetch, input: RequestInfo | URL, init?: RequestInit, path?: string): Promise<Response> {
    const res = await f(input, { ...init, redirect: 'follow' });
    if (res.status === 401 || res.status === 403 || res.status === 429) {
      await res.body?.cancel().catch(() => {});
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const p = path ?? decodeURIComponent(href.split(`/resolve/${this.commit}/`)[1] ?? '');
      throw accessError({ repo: this.repo, revision: this.revision, commit: this.commit, token: this.token }, res, p);
    }
    return res;
  }
}

interface HubCtx {
  repo: string;
  revision: string;
  endpoint: string;
  token?: string | undefined;
  doFetch: typeof fetch;
  signal?: AbortSignal | undefined;
}

/** The message for a refused request: what was asked, the status, and what to do about it. */
function accessError(c: { repo: string; revision: string; commit?: string; token?: string | undefined }, res: Response, path?: string): ModelVerifyError {
  const at = c.commit && c.commit !== c.revision ? `${c.revision} (commit ${c.commit})` : c.revision;
  const what = `${c.repo}@${at}${path ? `, '${path}'` : ''}`;
  let advice: string;
  if (res.status === 429) {
    const retry = res.headers.get('retry-after');
    advice = `the Hub is rate-limiting requests${retry && /^\d{1,6}$/.test(retry) ? ` (retry after ${retry} s)` : ''}; try again later${c.token ? '' : ', or with a token (HF_TOKEN)'}`;
  } else if (c.token) {
    advice = "the token was refused or has no access: check it, and accept the repository's conditions on the Hub if it is gated";
  } else {
    advice = 'the repository is gated or private: set HF_TOKEN to a token with access';
  }
  return new ModelVerifyError('IO_ERROR', `The Hub refused ${what}: HTTP ${res.status}; ${advice}. (This is an access problem, not a verdict on the model.)`, {
    ...(path ? { resource: path } : {}),
  });
}

/** GET a Hub API URL with the token, status-checked, JSON parsed from a bounded body. */
async function hubJson(c: HubCtx, url: string, what: string): Promise<{ json: unknown; res: Response }> {
  let res: Response;
  try {
    res = await c.doFetch(url, {
      headers: { accept: 'application/json', ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) },
      // A redirect off the Hub drops the token (fetch standard: Authorization is not sent across origins).
      redirect: 'follow',
      ...(c.signal ? { signal: c.signal } : {}),
    });
  } catch (e) {
    if (c.signal?.aborted) throw c.signal.reason ?? e;
    fail(
      'IO_ERROR',
      `Could not reach the Hub at ${c.endpoint} for the ${what} of ${c.repo}@${c.revision}: the server is unreachable or does not allow cross-origin requests (CORS)`,
      {
        cause: e,
      },
    );
  }
  if (res.status === 401 || res.status === 403 || res.status === 429) {
    await res.body?.cancel().catch(() => {});
    throw accessError(c, res);
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => {});
    fail('MODEL_NOT_FOUND', `The Hub has no ${c.repo}@${c.revision} (HTTP ${res.status} for its ${what})`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    fail('IO_ERROR', `The Hub answered HTTP ${res.status} for the ${what} of ${c.repo}@${c.revision}`);
  }
  const bytes = await readBounded(res, MAX_HF_JSON_BYTES, `${what} of ${c.repo}@${c.revision}`);
  try {
    return { json: JSON.parse(new TextDecoder().decode(bytes)), res };
  } catch (e) {
    fail('IO_ERROR', `The Hub's ${what} of ${c.repo}@${c.revision} is not JSON`, { cause: e });
  }
}
