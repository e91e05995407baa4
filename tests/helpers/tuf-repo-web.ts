/**
 * A TUF repository for portable tests (Node, Chromium, workerd): the same layout as tests/helpers/tuf-repo.ts
 * (consistent snapshots, `<version>.root.json`, `<sha256>.<name>` targets), signed with WebCrypto Ed25519, served
 * by `serve()`: a fetch double installed on globalThis for the repository's origin only (there is no loopback
 * server in a browser page or a workerd test). Canonical JSON is written out here (sorted keys, no whitespace,
 * only `"` and `\` escaped), independent of the client's own.
 */
import { toHex } from '../../core/util/bytes.js';

type Role = 'root' | 'targets' | 'snapshot' | 'timestamp';
const ROLES: Role[] = ['root', 'targets', 'snapshot', 'timestamp'];

export function canonical(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${canonical(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

const enc = (s: string) => new TextEncoder().encode(s);
const sha256Hex = async (b: Uint8Array) => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)));

export interface WebKey {
  id: string;
  json: { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } };
  privateKey: CryptoKey;
}

export async function newWebKey(): Promise<WebKey> {
  const k = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', k.publicKey));
  const json = { keytype: 'ed25519' as const, scheme: 'ed25519' as const, keyval: { public: toHex(raw) } };
  return { id: await sha256Hex(enc(canonical(json))), json, privateKey: k.privateKey };
}

async function signed(body: Record<string, unknown>, keys: WebKey[]): Promise<Uint8Array> {
  const bytes = enc(canonical(body));
  const signatures = [];
  for (const k of keys) signatures.push({ keyid: k.id, sig: toHex(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, k.privateKey, bytes))) });
  return enc(JSON.stringify({ signed: body, signatures }));
}

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface WebRootSpec {
  keys: Record<Role, WebKey[]>;
  thresholds: Record<Role, number>;
}

export class WebTufRepo {
  readonly files = new Map<string, Uint8Array>();
  readonly requests: string[] = [];
  spec!: WebRootSpec;
  rootVersion = 0;
  version = 0;
  /** When set, every request fails as a network error does. */
  down = false;
  private restore?: () => void;

  constructor(readonly origin = 'https://tuf.portable.test') {}

  static async create(origin?: string): Promise<WebTufRepo> {
    const r = new WebTufRepo(origin);
    const keys = {} as Record<Role, WebKey[]>;
    for (const role of ROLES) keys[role] = [await newWebKey()];
    await r.publishRoot({ keys, thresholds: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } });
    return r;
  }

  root(version = 1): string {
    return new TextDecoder().decode(this.files.get(`/${version}.root.json`)!);
  }

  /** Root version N+1, signed by a threshold of the old root keys and every new one (or by `signers`). */
  async publishRoot(next: WebRootSpec, signers?: WebKey[]): Promise<void> {
    const old = this.rootVersion ? this.spec : next;
    this.rootVersion++;
    const keys: Record<string, WebKey['json']> = {};
    for (const r of ROLES) for (const k of next.keys[r]) keys[k.id] = k.json;
    const body = {
      _type: 'root',
      spec_version: '1.0.31',
      version: this.rootVersion,
      expires: inDays(365),
      consistent_snapshot: true,
      keys,
      roles: Object.fromEntries(ROLES.map((r) => [r, { keyids: next.keys[r].map((k) => k.id), threshold: next.thresholds[r] }])),
    };
    const by = signers ?? [...new Map([...old.keys.root.slice(0, old.thresholds.root), ...next.keys.root].map((k) => [k.id, k])).values()];
    this.files.set(`/${this.rootVersion}.root.json`, await signed(body, by));
    this.spec = next;
  }

  async publish(
    targets: Record<string, string>,
    o: {
      expires?: Partial<Record<Role, string>>;
      versions?: Partial<Record<'targets' | 'snapshot', number>>;
      signers?: Partial<Record<Role, WebKey[]>>;
      lieSha256?: string;
    } = {},
  ): Promise<void> {
    this.version++;
    const v = { targets: this.version, snapshot: this.version, ...o.versions };
    const keys = (r: Role) => o.signers?.[r] ?? this.spec.keys[r].slice(0, this.spec.thresholds[r]);
    const entries: Record<string, { length: number; hashes: { sha256: string } }> = {};
    for (const [name, content] of Object.entries(targets)) {
      const b = enc(content);
      const hash = await sha256Hex(b);
      this.files.set(`/targets/${o.lieSha256 ?? hash}.${name}`, b);
      entries[name] = { length: b.length, hashes: { sha256: o.lieSha256 ?? hash } };
    }
    const common = (type: Role, version: number) => ({ _type: type, spec_version: '1.0.31', version, expires: o.expires?.[type] ?? inDays(7) });
    this.files.set(`/${v.targets}.targets.json`, await signed({ ...common('targets', v.targets), targets: entries }, keys('targets')));
    this.files.set(
      `/${v.snapshot}.snapshot.json`,
      await signed({ ...common('snapshot', v.snapshot), meta: { 'targets.json': { version: v.targets } } }, keys('snapshot')),
    );
    this.files.set(
      '/timestamp.json',
      await signed({ ...common('timestamp', this.version), meta: { 'snapshot.json': { version: v.snapshot } } }, keys('timestamp')),
    );
  }

  /** Answers fetches to this origin from `files` (404 otherwise); other origins go to the real fetch. */
  serve(): void {
    const real = globalThis.fetch;
    const self = this;
    globalThis.fetch = async function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.origin !== self.origin) return real(input, init);
      if (self.down) throw new TypeError('Failed to fetch');
      self.requests.push(url.pathname);
      const body = self.files.get(url.pathname);
      return body ? new Response(body.slice(), { headers: { 'content-type': 'application/json' } }) : new Response('not found', { status: 404 });
    } as typeof fetch;
    this.restore = () => {
      globalThis.fetch = real;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }
}
