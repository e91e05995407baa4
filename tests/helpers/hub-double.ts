/**
 * A Hugging Face Hub test double speaking the documented API shapes (the real Hub cannot be reached from tests):
 *
 * - `GET /api/models/{repo}/revision/{rev}` → `{ id, sha, siblings }` (rev URL-encoded: branches, tags, commits)
 * - `GET /api/models/{repo}/tree/{rev}?recursive=true` → entries `{ type, oid, size, path, lfs? }`, paginated
 *   (`pageSize` entries a page) with `Link: <…&cursor=N>; rel="next"` headers
 * - `GET|HEAD /{repo}/resolve/{rev}/{path}` → `X-Repo-Commit`; small (git) files served directly, LFS files
 *   answered `302 Location: {cdn}/blobs/{sha256}?…` on a second "CDN" origin serving Range and CORS
 * - gated repositories: 401 without `Authorization: Bearer {token}`, 403 with a wrong one
 *
 * Web-standard only (Request → Response), so the same double runs behind a real loopback server in Node
 * (tests/hf/hub-server.ts) and in-process in Chromium and workerd through `hub.fetch` (which follows redirects
 * as the fetch standard does: Authorization is dropped when a redirect leaves the origin).
 */

export interface HubFile {
  data: Uint8Array;
  /** Stored with LFS (the tree lists `lfs.oid` = sha256; bytes come from the CDN). */
  lfs: boolean;
}

interface Repo {
  token?: string;
  refs: Map<string, string>;
  commits: Map<string, Map<string, HubFile>>;
}

export interface HubLogEntry {
  origin: 'hub' | 'cdn';
  method: string;
  path: string;
  auth: boolean;
  range?: string;
}

const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
export const sha256Hex = async (d: Uint8Array) => hex(await crypto.subtle.digest('SHA-256', d as BufferSource));
const sha1Hex = async (d: Uint8Array) => hex(await crypto.subtle.digest('SHA-1', d as BufferSource));

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range, accept',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, x-repo-commit, link, etag, location',
};

export class HubDouble {
  hubOrigin = 'http://hub.test';
  cdnOrigin = 'http://cdn.test';
  /** Entries per tree page (small, so every test goes through pagination). */
  pageSize = 2;
  readonly log: HubLogEntry[] = [];
  /** Called after a revision was resolved (tests move a branch here). */
  afterRevision?: (repo: string, rev: string) => void | Promise<void>;
  /** Blob bytes the CDN serves instead of the stored ones (server-side tampering the tree does not show). */
  readonly cdnOverride = new Map<string, Uint8Array>();
  /** Awaited before every CDN answer (tests interrupt a download here). */
  beforeCdn?: (path: string) => void | Promise<void>;
  /** Answer 429 to everything on the hub origin. */
  rateLimited = false;
  private readonly repos = new Map<string, Repo>();
  private readonly blobs = new Map<string, Uint8Array>();
  private counter = 0;

  /** Commits `files` to `repo` on `branch` (created as needed) and returns the commit sha. */
  async commit(
    repo: string,
    files: Record<string, Uint8Array | string>,
    opts: { branch?: string; lfs?: (path: string) => boolean; token?: string } = {},
  ): Promise<string> {
    let r = this.repos.get(repo);
    if (!r) {
      r = { refs: new Map(), commits: new Map() };
      this.repos.set(repo, r);
    }
    if (opts.token !== undefined) r.token = opts.token;
    const tree = new Map<string, HubFile>();
    for (const [p, v] of Object.entries(files)) {
      const data = typeof v === 'string' ? enc.encode(v) : v;
      const lfs = opts.lfs ? opts.lfs(p) : /\.(bin|safetensors|onnx|gguf|pt)$/.test(p) || data.byteLength >= 1 << 20;
      tree.set(p, { data, lfs });
      if (lfs) this.blobs.set(await sha256Hex(data), data);
    }
    const sha = await sha1Hex(enc.encode(`${repo}\n${++this.counter}\n${[...tree.keys()].join('\n')}`));
    r.commits.set(sha, tree);
    r.refs.set(opts.branch ?? 'main', sha);
    return sha;
  }

  /** The in-process fetch (browsers, workerd): routes by origin and follows redirects as fetch does. */
  readonly fetch: typeof fetch = async (input, init) => {
    let req = new Request(input, init);
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.handle(req);
      if (res.status < 300 || res.status >= 400 || req.redirect !== 'follow') return res;
      const next = new URL(res.headers.get('location')!, req.url);
      const headers = new Headers(req.headers);
      if (next.origin !== new URL(req.url).origin) headers.delete('authorization');
      req = new Request(next, { method: req.method, headers, redirect: req.redirect });
    }
    throw new TypeError('too many redirects');
  };

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const origin = url.origin === this.cdnOrigin ? 'cdn' : 'hub';
    const entry: HubLogEntry = { origin, method: req.method, path: url.pathname + url.search, auth: req.headers.has('authorization') };
    const range = req.headers.get('range');
    if (range) entry.range = range;
    this.log.push(entry);
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { ...CORS, 'access-control-allow-methods': 'GET, HEAD' } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.json({ error: 'method' }, 405);
    if (origin === 'cdn') {
      await this.beforeCdn?.(url.pathname);
      return this.cdn(req, url);
    }
    if (this.rateLimited) return this.json({ error: 'rate limited' }, 429, { 'retry-after': '30' });

    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [repo, rev] = [m[1]!, decodeURIComponent(m[2]!)];
      const r = this.access(repo, req);
      if (r instanceof Response) return r;
      const sha = this.resolve(r, rev);
      if (!sha) return this.json({ error: `Revision Not Found for url: ${url.href}` }, 404, { 'x-error-code': 'RevisionNotFound' });
      await this.afterRevision?.(repo, rev);
      const siblings = [...r.commits.get(sha)!.keys()].map((rfilename) => ({ rfilename }));
      return this.json({ _id: repo, id: repo, modelId: repo, sha, private: false, gated: r.token ? 'manual' : false, siblings });
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [repo, rev] = [m[1]!, decodeURIComponent(m[2]!)];
      const r = this.access(repo, req);
      if (r instanceof Response) return r;
      const sha = this.resolve(r, rev);
      if (!sha) return this.json({ error: 'Revision Not Found' }, 404, { 'x-error-code': 'RevisionNotFound' });
      const entries = await this.treeEntries(r.commits.get(sha)!, url.searchParams.get('recursive') === 'true');
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = entries.slice(cursor, cursor + this.pageSize);
      const headers: Record<string, string> = {};
      if (cursor + this.pageSize < entries.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(cursor + this.pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return this.json(page, 200, headers);
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) {
      const [repo, rev, path] = [m[1]!, decodeURIComponent(m[2]!), m[3]!.split('/').map(decodeURIComponent).join('/')];
      const r = this.access(repo, req);
      if (r instanceof Response) return r;
      const sha = this.resolve(r, rev);
      const f = sha ? r.commits.get(sha)!.get(path) : undefined;
      if (!sha || !f) return this.json({ error: 'Entry not found' }, 404, { 'x-error-code': 'EntryNotFound' });
      const common = { ...CORS, 'x-repo-commit': sha, etag: `"${f.lfs ? await sha256Hex(f.data) : await sha1Hex(f.data)}"` };
      if (f.lfs) {
        const oid = await sha256Hex(f.data);
        return new Response(null, {
          status: 302,
          headers: { ...common, location: `${this.cdnOrigin}/blobs/${oid}?X-Amz-Signature=test&repo=${encodeURIComponent(repo)}` },
        });
      }
      return this.bytes(req, f.data, common);
    }
    return this.json({ error: 'not found' }, 404);
  }

  private cdn(req: Request, url: URL): Response {
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
    const data = m ? (this.cdnOverride.get(m[1]!) ?? this.blobs.get(m[1]!)) : undefined;
    if (!data) return new Response('NoSuchKey', { status: 404, headers: CORS });
    return this.bytes(req, data, CORS);
  }

  /** 200 or 206 (one `bytes=a-b` / `bytes=a-` range), Content-Length always; 416 past the end. */
  private bytes(req: Request, data: Uint8Array, headers: Record<string, string>): Response {
    const h: Record<string, string> = { ...headers, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get('range') ?? '');
    let status = 200;
    let body = data;
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), data.byteLength - 1) : data.byteLength - 1;
      if (start >= data.byteLength) return new Response(null, { status: 416, headers: { ...h, 'content-range': `bytes */${data.byteLength}` } });
      body = data.subarray(start, end + 1);
      status = 206;
      h['content-range'] = `bytes ${start}-${end}/${data.byteLength}`;
    }
    h['content-length'] = String(body.byteLength);
    return new Response(req.method === 'HEAD' ? null : (body.slice() as BodyInit), { status, headers: h });
  }

  private access(repo: string, req: Request): Repo | Response {
    const r = this.repos.get(repo);
    if (!r) return this.json({ error: 'Repository Not Found' }, 404, { 'x-error-code': 'RepoNotFound' });
    if (r.token !== undefined) {
      const auth = req.headers.get('authorization');
      if (!auth)
        return this.json({ error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it.` }, 401, {
          'x-error-code': 'GatedRepo',
        });
      if (auth !== `Bearer ${r.token}`)
        return this.json({ error: `Access to model ${repo} is restricted and you are not in the authorized list.` }, 403, { 'x-error-code': 'GatedRepo' });
    }
    return r;
  }

  private resolve(r: Repo, rev: string): string | undefined {
    return r.refs.get(rev) ?? (r.commits.has(rev) ? rev : undefined);
  }

  private async treeEntries(tree: Map<string, HubFile>, recursive: boolean) {
    const out: unknown[] = [];
    const dirs = new Set<string>();
    for (const p of [...tree.keys()].sort()) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', oid: await sha1Hex(enc.encode(d)), size: 0, path: d });
        }
      }
      if (!recursive && parts.length > 1) continue;
      const f = tree.get(p)!;
      const gitOid = await sha1Hex(f.lfs ? enc.encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${await sha256Hex(f.data)}\n`) : f.data);
      out.push({
        type: 'file',
        oid: gitOid,
        size: f.data.byteLength,
        path: p,
        ...(f.lfs ? { lfs: { oid: await sha256Hex(f.data), size: f.data.byteLength, pointerSize: 134 } } : {}),
      });
    }
    return out;
  }

  private json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), { status, headers: { ...CORS, 'content-type': 'application/json', ...headers } });
  }
}
