/**
 * The Sigstore trusted_root.json through TUF, web-standard (fetch, WebCrypto): for workerd (the Worker's Cron
 * Trigger, worker/trust-cron.ts) and browsers (browser/tuf-storage.ts persists it in IndexedDB). The CLI uses tuf-js
 * instead (node/tuf.ts), which needs node:fs.
 *
 * The client is @freedomofpress/tuf-browser, a maintained TUF client on fetch and WebCrypto with pluggable storage
 * (it runs theupdateframework/tuf-conformance; delegations are not supported, and Sigstore's repository has none).
 * Its downloads are not size-bounded: use it only with a repository you configured over https; a hostile one can
 * make the refresh fail (memory limits end it), not change what verifies, since every byte returned here passed
 * the TUF checks and parses as a trusted root.
 */
import { type FileBackend, TUFClient } from '@freedomofpress/tuf-browser';
import { ModelVerifyError } from '../../errors.js';
import { sha256, toHex, utf8Encode } from '../../util/bytes.js';
import { parseTrustRoot, TrustRoot } from '../trust-root.js';

const TRUSTED_ROOT_TARGET = 'trusted_root.json';
/** Bound on the trusted root kept and parsed (the production one is ~12 KiB). */
export const MAX_TUF_TRUSTED_ROOT_BYTES = 8 << 20;

/** Where the client keeps its metadata between refreshes (KV, IndexedDB, memory): strings by key. */
export interface TufStorage {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A refreshed trust root: the target as served (after every TUF check) and where it came from. */
export interface TufTrustedRoot {
  trustedRoot: string;
  /** SHA-256 hex of trustedRoot (a cache key for verdicts). */
  digest: string;
  repository: string;
  tufRootVersion: number;
  /** When it was fetched and verified (RFC 3339). */
  checkedAt: string;
  /** Earliest expiry of the timestamp, snapshot and targets metadata that vouched for it. */
  expires?: string;
}

/** tuf-browser's storage interface over ours: metadata as JSON text, one key per role. */
class Backend implements FileBackend {
  constructor(private readonly storage: TufStorage) {}
  async read(key: string) {
    const v = await this.storage.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
  async write(key: string, value: unknown) {
    await this.storage.put(key, JSON.stringify(value));
  }
  async writeRaw(key: string, value: Uint8Array) {
    await this.storage.put(key, new TextDecoder().decode(value));
  }
  async delete(key: string) {
    await this.storage.delete(key);
  }
}

/**
 * Runs the TUF client workflow (root rotations, timestamp, snapshot, targets, the target's length and hashes)
 * against `url` starting from `rootJson` (or the newer root the storage holds) and returns trusted_root.json.
 * Throws TUF_UNAVAILABLE when the repository cannot be reached, TUF_INVALID when something fails verification.
 */
export async function refreshTufTrustedRoot(repo: { url: string; rootJson: string }, storage: TufStorage, now = new Date()): Promise<TufTrustedRoot> {
  const url = repo.url.replace(/\/+$/, '');
  const namespace = toHex(await sha256(utf8Encode(url))).slice(0, 32);
  const backend = new Backend(storage);
  const client = new TUFClient(`${url}/`, repo.rootJson, namespace, `${url}/targets/`, { backend });
  let bytes: Uint8Array;
  try {
    await client.updateTUF();
    bytes = new Uint8Array(await client.getTarget(TRUSTED_ROOT_TARGET));
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    // The library reports network errors as the runtime's TypeError and HTTP failures as "Failed to fetch …".
    let unreachable = e instanceof TypeError || /Failed to fetch|fetch failed|network/i.test(msg);
    // The library takes a root update it could not fetch for "no newer root" and then judges the root it holds:
    // offline with an expired starting root, that reads as a freeze attack. Whether the repository answers at all
    // says which it is (both fail closed; the code tells the user what to do).
    if (!unreachable) unreachable = await cannotReach(`${url}/timestamp.json`);
    throw new ModelVerifyError(
      unreachable ? 'TUF_UNAVAILABLE' : 'TUF_INVALID',
      `TUF refresh of ${url} failed: ${msg}${unreachable && !/fetch|network/i.test(msg) ? ' (the repository cannot be reached)' : ''}`,
      { cause: e },
    );
  }
  if (bytes.length > MAX_TUF_TRUSTED_ROOT_BYTES)
    throw new ModelVerifyError('TUF_INVALID', `${TRUSTED_ROOT_TARGET} of ${url} is larger than ${MAX_TUF_TRUSTED_ROOT_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    parseTrustRoot(JSON.parse(text), `TUF ${url}`); // only a root that parses is ever returned
  } catch (e) {
    if (e instanceof ModelVerifyError) throw e;
    throw new ModelVerifyError('TUF_INVALID', `${TRUSTED_ROOT_TARGET} of ${url} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const meta = async (role: string) => (await backend.read(`${namespace}/${role}.json`)) as { signed?: { version?: number; expires?: string } } | undefined;
  const times = (await Promise.all(['timestamp', 'snapshot', 'targets'].map(meta)))
    .map((m) => Date.parse(m?.signed?.expires ?? ''))
    .filter((t) => !Number.isNaN(t));
  return {
    trustedRoot: text,
    digest: toHex(await sha256(bytes)),
    repository: url,
    // The client stores a root only when it rotated: otherwise the initial one is the newest.
    tufRootVersion: (await meta('root'))?.signed?.version ?? (JSON.parse(repo.rootJson) as { signed: { version: number } }).signed.version,
    checkedAt: now.toISOString(),
    ...(times.length ? { expires: new Date(Math.min(...times)).toISOString() } : {}),
  };
}

/**
 * A TufTrustedRoot kept as JSON text (KV, IndexedDB), or undefined when absent, over-long or not of that shape (the
 * caller then refreshes, or uses the embedded root). Its content passed TUF when it was stored.
 */
export function readStoredTufTrustedRoot(v: string | null | undefined): TufTrustedRoot | undefined {
  if (v === null || v === undefined || v.length > MAX_TUF_TRUSTED_ROOT_BYTES * 2) return undefined;
  try {
    const t = JSON.parse(v) as TufTrustedRoot;
    return typeof t.trustedRoot === 'string' && typeof t.digest === 'string' && typeof t.repository === 'string' && typeof t.checkedAt === 'string'
      ? t
      : undefined;
  } catch {
    return undefined;
  }
}

/** True when `url` cannot be fetched at all (no network, refused, DNS); any HTTP answer means reachable. */
async function cannotReach(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { method: 'HEAD' });
    await r.body?.cancel();
    return false;
  } catch {
    return true;
  }
}

/** The TrustRoot of a refreshed (or stored) TufTrustedRoot, its provenance set for reports. */
export function trustRootFromTuf(t: TufTrustedRoot, origin: 'tuf' | 'cache' = 'tuf'): TrustRoot {
  const p = parseTrustRoot(JSON.parse(t.trustedRoot), `TUF ${t.repository}`);
  const starts = [...p.tlogs, ...p.ctlogs, ...p.cas, ...p.tsas].map((x) => x.validFor.start.getTime());
  const date = starts.length ? new Date(Math.max(...starts)).toISOString().slice(0, 10) : undefined;
  const root = new TrustRoot(p.tlogs, p.ctlogs, p.cas, p.tsas, p.source, date);
  root.provenance = {
    origin,
    repository: t.repository,
    tufRootVersion: t.tufRootVersion,
    checkedAt: t.checkedAt,
    ...(t.expires ? { expires: t.expires } : {}),
  };
  return root;
}
