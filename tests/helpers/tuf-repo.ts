/**
 * A TUF repository for tests, served over loopback HTTP (Node only): root, timestamp, snapshot and targets
 * metadata written out as the TUF specification lays them down (consistent snapshots, `<version>.root.json`,
 * `<sha256>.<name>` targets), canonical JSON (@tufjs/canonical-json) signed with real Ed25519 keys (node:crypto).
 * Written from the specification rather than with @tufjs/models, so the client under test (tuf-js) is checked
 * against an independent writer; the "attack" knobs (rollback, threshold, hash) bend exactly one rule each.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalize } from '@tufjs/canonical-json';

export type Role = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const ROLES: Role[] = ['root', 'targets', 'snapshot', 'timestamp'];

export interface TufKey {
  id: string;
  json: { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } };
  privateKey: KeyObject;
}

export function newKey(): TufKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const json = { keytype: 'ed25519' as const, scheme: 'ed25519' as const, keyval: { public: raw.toString('hex') } };
  // TUF key ID: hex SHA-256 of the key's canonical JSON.
  return { id: createHash('sha256').update(canonicalize(json)).digest('hex'), json, privateKey };
}

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A signed metadata document: `signed` canonicalized and signed by each key. */
export function signMetadata(signed: Record<string, unknown>, keys: TufKey[]): Buffer {
  const bytes = Buffer.from(canonicalize(signed));
  const signatures = keys.map((k) => ({ keyid: k.id, sig: sign(null, bytes, k.privateKey).toString('hex') }));
  return Buffer.from(JSON.stringify({ signed, signatures }, null, 1));
}

export interface RootSpec {
  keys: Record<Role, TufKey[]>;
  thresholds: Record<Role, number>;
}

export class TufTestRepo {
  /** Current keys and thresholds of each role (what the newest root says). */
  spec: RootSpec;
  rootVersion = 0;
  version = 0;
  /** The bytes served at each path. */
  readonly files = new Map<string, Buffer>();
  /** Paths requested, in order (cache tests assert on them). */
  readonly requests: string[] = [];
  private server?: Server;
  url = '';

  constructor() {
    const keys = Object.fromEntries(ROLES.map((r) => [r, [newKey()]])) as Record<Role, TufKey[]>;
    this.spec = { keys, thresholds: { root: 1, targets: 1, snapshot: 1, timestamp: 1 } };
    this.publishRoot(this.spec);
  }

  /** root.json of a version (the initial one is what a client is given). */
  root(version = 1): Buffer {
    return this.files.get(`/${version}.root.json`)!;
  }

  /**
   * Publishes root version N+1 with `next`, signed by `signers` (default: a threshold of the old root keys and
   * every new root key, as the spec requires of a rotation).
   */
  publishRoot(next: RootSpec, opts: { signers?: TufKey[]; expires?: string } = {}): Buffer {
    const old = this.rootVersion ? this.spec : next;
    this.rootVersion++;
    const keyMap: Record<string, TufKey['json']> = {};
    for (const r of ROLES) for (const k of next.keys[r]) keyMap[k.id] = k.json;
    const signed = {
      _type: 'root',
      spec_version: '1.0.31',
      version: this.rootVersion,
      expires: opts.expires ?? inDays(365),
      consistent_snapshot: true,
      keys: keyMap,
      roles: Object.fromEntries(ROLES.map((r) => [r, { keyids: next.keys[r].map((k) => k.id), threshold: next.thresholds[r] }])),
    };
    const signers = opts.signers ?? [...new Map([...old.keys.root.slice(0, old.thresholds.root), ...next.keys.root].map((k) => [k.id, k])).values()];
    const bytes = signMetadata(signed, signers);
    this.files.set(`/${this.rootVersion}.root.json`, bytes);
    this.files.set('/root.json', bytes);
    this.spec = next;
    return bytes;
  }

  /**
   * Publishes the targets (name → bytes) as a new targets, snapshot and timestamp version. Knobs: `expires` per
   * role, explicit versions (rollback), the signing keys per role (threshold), the length/hash recorded for a
   * target (`lie`).
   */
  publish(
    targets: Record<string, Buffer | string>,
    o: {
      expires?: Partial<Record<Role, string>>;
      versions?: Partial<Record<'targets' | 'snapshot' | 'timestamp', number>>;
      signers?: Partial<Record<Role, TufKey[]>>;
      lie?: Record<string, { sha256?: string; length?: number }>;
    } = {},
  ): void {
    this.version++;
    const v = { targets: this.version, snapshot: this.version, timestamp: this.version, ...o.versions };
    const keys = (r: Role) => o.signers?.[r] ?? this.spec.keys[r].slice(0, this.spec.thresholds[r]);
    const entries: Record<string, { length: number; hashes: { sha256: string } }> = {};
    for (const [name, content] of Object.entries(targets)) {
      const b = Buffer.isBuffer(content) ? content : Buffer.from(content);
      const hash = sha256(b);
      this.files.set(`/targets/${hash}.${name}`, b);
      entries[name] = { length: o.lie?.[name]?.length ?? b.length, hashes: { sha256: o.lie?.[name]?.sha256 ?? hash } };
    }
    const common = (type: Role, version: number) => ({ _type: type, spec_version: '1.0.31', version, expires: o.expires?.[type] ?? inDays(7) });
    const targetsBytes = signMetadata({ ...common('targets', v.targets), targets: entries }, keys('targets'));
    this.files.set(`/${v.targets}.targets.json`, targetsBytes);
    const snapshotBytes = signMetadata({ ...common('snapshot', v.snapshot), meta: { 'targets.json': { version: v.targets } } }, keys('snapshot'));
    this.files.set(`/${v.snapshot}.snapshot.json`, snapshotBytes);
    const timestamp = signMetadata({ ...common('timestamp', v.timestamp), meta: { 'snapshot.json': { version: v.snapshot } } }, keys('timestamp'));
    this.files.set('/timestamp.json', timestamp);
  }

  async serve(): Promise<string> {
    this.server = createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      this.requests.push(p);
      const body = this.files.get(p);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections(); // keep-alive sockets of an in-process client would hold close() open
      await closed;
    }
  }
}
