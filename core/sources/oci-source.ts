/**
 * A model in an OCI registry (`oci://registry/repository:tag` or `@sha256:…`) over the distribution API, with
 * fetch only (browsers, Workers, Node). The manifest is fetched once, checked against the digest it was asked by
 * (or, for a tag, pinned to the digest of the bytes received), and read strictly (core/oci). Blobs stream by
 * digest; a whole-blob read is checked against its descriptor's digest and size as it streams.
 *
 * Views (docs/oci.md): `layers` lists the manifest's layers by the Go port's names (title, else
 * `layer_%03d.tar.gz`) plus `config.json`, whose bytes are the blobs: a manifest-signed or an ORAS
 * directory-signed signature verifies against it by hashing the blobs. `tar` lists the files inside the image's
 * tar layers (modelcars: under `models/`), for directory signatures of a modelcar (oci-tar.ts).
 */
import { fail, ModelVerifyError } from '../errors.js';
import { createHasher } from '../hash/hasher.js';
import { DIGEST_RE, MAX_MANIFEST_BYTES, parseImageManifest, type Descriptor, type ImageManifest } from '../oci/image-manifest.js';
import { namedLayers } from '../oci/resources.js';
import type { ListOptions, ModelEntry, ModelSource } from '../serialize/source.js';
import { readAtMost, toHex } from '../util/bytes.js';
import { clip } from '../util/json.js';

export interface OciReference {
  /** `host[:port]`. */
  registry: string;
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

const REGISTRY_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$/;
const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** `oci://registry/repository[:tag][@sha256:…]` (default tag `latest`), by the distribution spec's grammar. */
export function parseOciReference(spec: string): OciReference {
  const bad = (why: string): never => fail('MODEL_NOT_FOUND', `'${clip(spec)}' is not an OCI reference (oci://registry/repository:tag or @sha256:…): ${why}`);
  const m = /^oci:\/\/([^/]+)\/(.+)$/i.exec(spec);
  if (!m) bad('it needs a registry and a repository');
  const registry = m![1]!;
  let rest = m![2]!;
  if (!REGISTRY_RE.test(registry)) bad(`'${clip(registry)}' is not a registry host[:port]`);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) bad('the digest must be sha256:<64 lowercase hex>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) bad(`'${clip(tag)}' is not a tag`);
  }
  if (rest.length > 255 || !rest.split('/').every((c) => COMPONENT_RE.test(c))) bad(`'${clip(rest)}' is not a repository name`);
  return { registry, repository: rest, ...(tag !== undefined ? { tag } : digest === undefined ? { tag: 'latest' } : {}), ...(digest ? { digest } : {}) };
}

export function formatOciReference(r: OciReference): string {
  return `oci://${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export interface OciSourceOptions {
  /** Speak plain http:// to the registry (local registries only; https otherwise). */
  plainHttp?: boolean;
  fetch?: typeof fetch;
  /** Credentials for the registry's token endpoint (or its Basic challenge). */
  username?: string;
  password?: string;
  /** A bearer token to send from the start (e.g. a registry token the user already has). */
  token?: string;
  /** Which files the source lists (file comment). Default `layers`. */
  view?: 'layers' | 'tar';
  /** `tar` view: the directory inside the image that is the model (default `models`, the modelcar convention). */
  root?: string;
  signal?: AbortSignal;
}

const ACCEPT_MANIFEST = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const MAX_TOKEN_BYTES = 1 << 20;

/** `Bearer realm="…",service="…",scope="…"` → scheme and parameters (bounded: a header is at most a few KiB). */
function parseChallenge(h: string | null): { scheme: string; params: Record<string, string> } | null {
  if (!h || h.length > 8192) return null;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(h);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** Reads a body to at most `max` bytes (a larger one is an error before it is all in memory). */
async function readBounded(res: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) fail('REGISTRY_ERROR', `${what} is ${declared} bytes, more than the ${max} accepted`);
  return readAtMost(res.body, max, { tooLarge: () => fail('REGISTRY_ERROR', `${what} is more than the ${max} bytes accepted`) });
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  const h = await createHasher('sha256');
  h.update(b);
  return toHex(h.digest());
}

/** The distribution API for one repository: GET with the auth dance, errors that name what failed. */
export class RegistryClient {
  private readonly doFetch: typeof fetch;
  private authorization: string | undefined;
  readonly base: string;

  constructor(
    readonly ref: OciReference,
    private readonly opts: OciSourceOptions = {},
  ) {
    this.doFetch = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.base = `${opts.plainHttp ? 'http' : 'https'}://${ref.registry}/v2/${ref.repository}/`;
    if (opts.token) this.authorization = `Bearer ${opts.token}`;
  }

  private where(what: string): string {
    return `${what} of ${this.ref.registry}/${this.ref.repository}`;
  }

  private async send(url: string, headers: Record<string, string>, what: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.doFetch(url, {
        headers: this.authorization ? { ...headers, authorization: this.authorization } : headers,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      fail('REGISTRY_ERROR', `Cannot reach ${this.ref.registry} for ${this.where(what)}: ${clip((e as Error)?.message ?? String(e))}`, { cause: e });
    }
  }

  /** Answers a 401 challenge once: a bearer token from the realm (anonymous, or with Basic credentials), or Basic itself. */
  private async authenticate(res: Response, what: string, signal?: AbortSignal): Promise<boolean> {
    const ch = parseChallenge(res.headers.get('www-authenticate'));
    const basic = this.opts.username !== undefined ? `Basic ${btoa(`${this.opts.username}:${this.opts.password ?? ''}`)}` : undefined;
    if (ch?.scheme === 'basic') {
      if (!basic || this.authorization === basic) return false;
      this.authorization = basic;
      return true;
    }
    if (ch?.scheme !== 'bearer' || !ch.params.realm) return false;
    let realm: URL;
    try {
      realm = new URL(ch.params.realm);
    } catch {
      fail('REGISTRY_AUTH', `${this.ref.registry} sent a bad token realm '${clip(ch.params.realm)}' for ${this.where(what)}`);
    }
    // Credentials (and the token) never go over plain http unless the user asked for plain http.
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.opts.plainHttp)) {
      fail(
        'REGISTRY_AUTH',
        `${this.ref.registry} asks for a token from '${clip(realm.href)}', which is not https (use --plain-http only for local registries)`,
      );
    }
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    realm.searchParams.set('scope', ch.params.scope ?? `repository:${this.ref.repository}:pull`);
    let tr: Response;
    try {
      tr = await this.doFetch(realm.href, { headers: basic ? { authorization: basic } : {}, ...(signal ? { signal } : {}) });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      fail('REGISTRY_AUTH', `Cannot reach the token endpoint ${realm.origin} of ${this.ref.registry}: ${clip((e as Error)?.message ?? String(e))}`, {
        cause: e,
      });
    }
    if (tr.status === 429)
      fail('REGISTRY_RATE_LIMITED', `The token endpoint ${realm.origin} of ${this.ref.registry} rate-limited us (HTTP 429): try again later`);
    if (!tr.ok)
      fail('REGISTRY_AUTH', `The token endpoint ${realm.origin} refused access to ${this.ref.repository} on ${this.ref.registry} (HTTP ${tr.status})`);
    let token: unknown;
    try {
      const body = JSON.parse(new TextDecoder().decode(await readBounded(tr, MAX_TOKEN_BYTES, 'The token response'))) as Record<string, unknown>;
      token = body.token ?? body.access_token;
    } catch (e) {
      if (e instanceof ModelVerifyError) throw e;
      token = undefined;
    }
    if (typeof token !== 'string' || token.length === 0 || token.length > 64 * 1024 || /[\r\n]/.test(token)) {
      fail('REGISTRY_AUTH', `The token endpoint ${realm.origin} of ${this.ref.registry} sent no usable token`);
    }
    this.authorization = `Bearer ${token}`;
    return true;
  }

  /** GET `path` (relative to /v2/<repo>/); non-2xx answers are typed errors naming the object and the status. */
  async get(path: string, headers: Record<string, string>, what: string, signal?: AbortSignal): Promise<Response> {
    const url = this.base + path;
    let res = await this.send(url, headers, what, signal);
    if (res.status === 401 && (await this.authenticate(res, what, signal))) {
      await res.body?.cancel().catch(() => {});
      res = await this.send(url, headers, what, signal);
    }
    if (res.ok) return res;
    // An error body is read to at most 64 KiB (a hostile registry could send any amount).
    const detail = await readBounded(res, 64 << 10, 'An error body')
      .then((b) => new TextDecoder().decode(b))
      .then((t) => {
        try {
          const e = (JSON.parse(t) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
          return e ? ` ${clip(String(e.code ?? ''), 40)}: ${clip(String(e.message ?? ''), 120)}` : '';
        } catch {
          return '';
        }
      })
      .catch(() => '');
    const msg = `${this.where(what)}: HTTP ${res.status}${detail}`;
    if (res.status === 401 || res.status === 403) fail('REGISTRY_AUTH', `Access denied to ${msg} (credentials or permissions: a setup problem, not a verdict)`);
    if (res.status === 429) fail('REGISTRY_RATE_LIMITED', `Rate-limited reading ${msg}: try again later`);
    if (res.status === 404) fail(path.startsWith('manifests/') ? 'MODEL_NOT_FOUND' : 'REGISTRY_ERROR', `Not found: ${msg}`);
    fail('REGISTRY_ERROR', `The registry failed on ${msg}`);
  }

  /** The manifest by tag or digest, its bytes checked against the digest asked for (or pinned for a tag). */
  async manifest(signal?: AbortSignal): Promise<{ bytes: Uint8Array; digest: string; mediaType: string }> {
    const ref = this.ref.digest ?? this.ref.tag ?? 'latest';
    const what = `manifest ${ref}`;
    const res = await this.get(`manifests/${ref}`, { accept: ACCEPT_MANIFEST }, what, signal);
    const bytes = await readBounded(res, MAX_MANIFEST_BYTES, `The ${this.where(what)}`);
    const digest = `sha256:${await sha256Hex(bytes)}`;
    if (this.ref.digest && digest !== this.ref.digest) {
      fail('BLOB_DIGEST_MISMATCH', `The registry sent a ${this.where(what)} whose bytes hash to ${digest}, not the requested ${this.ref.digest}`);
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && DIGEST_RE.test(claimed) && claimed !== digest) {
      fail('BLOB_DIGEST_MISMATCH', `The registry says the ${this.where(what)} is ${claimed}, but its bytes hash to ${digest}`);
    }
    return { bytes, digest, mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim() };
  }

  /** A blob's bytes [start, end) (whole blob by default) as a stream; a whole read is checked against `d`. */
  blob(d: Descriptor, label: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const whole = !range || (range.start === 0 && range.end >= d.size);
    const what = `blob ${d.digest} ('${clip(label)}')`;
    const expectedLen = whole ? d.size : Math.max(0, Math.min(range!.end, d.size) - range!.start);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let hasher: Awaited<ReturnType<typeof createHasher>> | undefined;
    let got = 0;
    const client = this;
    // Opened on the first pull, not in start(): workerd may pull before an async start() has settled.
    const init = async () => {
      const headers: Record<string, string> = whole ? {} : { range: `bytes=${range!.start}-${Math.max(range!.start, range!.end - 1)}` };
      const res = await client.get(`blobs/${d.digest}`, headers, what, signal);
      if (!whole && res.status !== 206) {
        await res.body?.cancel().catch(() => {});
        fail('REGISTRY_ERROR', `${client.where(what)}: asked for a byte range, got HTTP ${res.status}`);
      }
      reader = res.body!.getReader();
      // A range cannot be checked against the blob's digest; its bytes are what the signature's shard digests check.
      if (whole) hasher = await createHasher('sha256');
    };
    let ready: Promise<void> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        await (ready ??= init());
        const { done, value } = await reader!.read();
        if (done) {
          if (got !== expectedLen) fail('BLOB_DIGEST_MISMATCH', `The ${client.where(what)} has ${got} bytes, not the ${expectedLen} its descriptor says`);
          if (hasher) {
            const actual = `sha256:${toHex(hasher.digest())}`;
            if (actual !== d.digest) fail('BLOB_DIGEST_MISMATCH', `The registry sent bytes for the ${client.where(what)} that hash to ${actual}`);
          }
          c.close();
          return;
        }
        got += value.byteLength;
        if (got > expectedLen) {
          await reader!.cancel().catch(() => {});
          fail('BLOB_DIGEST_MISMATCH', `The ${client.where(what)} is longer than the ${expectedLen} bytes its descriptor says`);
        }
        hasher?.update(value);
        c.enqueue(value);
      },
      async cancel(reason) {
        await reader?.cancel(reason).catch(() => {});
      },
    });
  }
}

/** A model in an OCI registry (see the file comment). Open with `OciSource.open`. */
export class OciSource implements ModelSource {
  readonly listable = true;
  readonly name: string;
  private entries: ModelEntry[] | undefined;
  private readonly blobs = new Map<string, Descriptor>();
  private tar: import('./oci-tar.js').TarView | undefined;

  private constructor(
    readonly ref: OciReference,
    readonly client: RegistryClient,
    readonly manifest: ImageManifest,
    readonly manifestBytes: Uint8Array,
    /** The manifest's digest: what the reference is pinned to. */
    readonly digest: string,
    readonly view: 'layers' | 'tar',
    private readonly root: string,
  ) {
    this.name = ref.repository.split('/').pop()!;
    for (const l of namedLayers(manifest)) this.blobs.set(l.name, l.descriptor);
  }

  static async open(spec: string | OciReference, opts: OciSourceOptions = {}): Promise<OciSource> {
    const ref = typeof spec === 'string' ? parseOciReference(spec) : spec;
    const client = new RegistryClient(ref, opts);
    const got = await client.manifest(opts.signal);
    const manifest = OciSource.readManifest(got.bytes, ref);
    return new OciSource(ref, client, manifest, got.bytes, got.digest, opts.view ?? 'layers', (opts.root ?? 'models').replace(/^\/+|\/+$/g, ''));
  }

  private static readManifest(bytes: Uint8Array, ref: OciReference): ImageManifest {
    try {
      return parseImageManifest(bytes);
    } catch (e) {
      // An index (multi-platform image) names its manifests: say which ones, so the user can pick one by digest.
      let hint = '';
      try {
        const v = JSON.parse(new TextDecoder().decode(bytes)) as { manifests?: { digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }[] };
        if (Array.isArray(v.manifests)) {
          hint =
            ' Pick one: ' +
            v.manifests
              .slice(0, 5)
              .map(
                (m) =>
                  `${formatOciReference({ ...ref, tag: undefined, digest: String(m.digest) } as OciReference)} (${clip(String(m.platform?.os ?? '?'), 20)}/${clip(String(m.platform?.architecture ?? '?'), 20)})`,
              )
              .join(', ');
        }
      } catch {
        /* not JSON: the parse error says so */
      }
      fail('OCI_MANIFEST_INVALID', `${formatOciReference(ref)}: ${(e as Error).message}.${hint}`, { cause: e });
    }
  }

  /** The same image (no new request) in another view. */
  withView(view: 'layers' | 'tar', root = this.root): OciSource {
    return new OciSource(this.ref, this.client, this.manifest, this.manifestBytes, this.digest, view, root);
  }

  /**
   * The view a signature's resource names call for: `layers` when it names only layers (or config.json): a
   * manifest-signed or ORAS signature; else `tar` when every layer is a tar (a directory-signed modelcar). The
   * names may come from a signature not yet verified: the view only picks which bytes are hashed; the verdict
   * is still the comparison with the verified manifest.
   */
  viewFor(signedPaths: Iterable<string>): 'layers' | 'tar' {
    const paths = [...signedPaths];
    if (paths.length === 0 || paths.every((p) => this.blobs.has(p))) return 'layers';
    const tar = this.manifest.layers.every((l) => /tar/.test(l.mediaType));
    return tar ? 'tar' : 'layers';
  }

  /** This image in the view a signature calls for (viewFor over its statement's paths; the signature is not verified here). */
  async forSignature(bundleBytes: Uint8Array | string): Promise<OciSource> {
    const { parseBundle } = await import('../bundle/reader.js');
    const { statementToManifest } = await import('../bundle/statement.js');
    const { dsseEnvelope } = await import('../verify/envelope.js');
    let paths: string[] = [];
    try {
      paths = (await statementToManifest(dsseEnvelope(parseBundle(bundleBytes)).payload)).resources.map((r) => r.path);
    } catch {
      /* an unreadable signature fails in verification, whatever the view */
    }
    const view = this.viewFor(paths);
    return view === this.view ? this : this.withView(view);
  }

  /** `oci://registry/repo:tag@sha256:…`: the reference pinned to the manifest digest that was verified. */
  get location(): string {
    return formatOciReference({ ...this.ref, digest: this.digest });
  }

  private async load(signal?: AbortSignal): Promise<ModelEntry[]> {
    if (this.entries) return this.entries;
    if (this.view === 'layers') {
      this.entries = [...this.blobs].map(([path, d]) => ({ path, kind: 'file' as const, size: d.size }));
    } else {
      const { TarView } = await import('./oci-tar.js');
      this.tar = await TarView.read(this, this.root, signal);
      this.entries = this.tar.entries;
    }
    return this.entries;
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    for (const e of await this.load(opts.signal)) {
      opts.signal?.throwIfAborted();
      const parts = e.path.split('/');
      let pruned = false;
      for (let i = 1; i < parts.length && !pruned; i++) pruned = !!opts.prune?.(parts.slice(0, i).join('/'));
      if (!pruned) yield e;
    }
  }

  async stat(path: string, signal?: AbortSignal): Promise<ModelEntry | null> {
    return (await this.load(signal)).find((e) => e.path === path) ?? null;
  }

  /** The named blob of the layers view (also used by the tar view to read a layer). */
  layerBlob(d: Descriptor, label: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    return this.client.blob(d, label, range, signal);
  }

  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    if (this.view === 'tar') {
      if (this.tar) return this.tar.open(path, range, signal);
      // Opened before listing: list the layers first, then read (one stream either way).
      let inner: Promise<ReadableStreamDefaultReader<Uint8Array>> | undefined;
      const reader = () => (inner ??= this.load(signal).then(() => this.tar!.open(path, range, signal).getReader()));
      return new ReadableStream<Uint8Array>({
        pull: async (c) => {
          const { done, value } = await (await reader()).read();
          if (done) c.close();
          else c.enqueue(value);
        },
        cancel: async (r) => (await inner)?.cancel(r),
      });
    }
    const d = this.blobs.get(path);
    if (!d) fail('MODEL_NOT_FOUND', `${this.location} has no layer named '${clip(path)}'`, { resource: path });
    return this.client.blob(d, path, range, signal);
  }
}
