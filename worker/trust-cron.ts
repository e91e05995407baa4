/**
 * The Sigstore trust root at the edge, refreshed through TUF by a Cron Trigger (wrangler.toml [triggers]) into KV:
 *   trust/tuf/<namespace>/<role>.json  → the TUF client's metadata cache (root, timestamp, snapshot, targets)
 *   trust/current                      → StoredTrustRoot: the verified trusted_root.json and where it came from
 * The verify API and the gate read trust/current (worker/store.ts); verdicts are keyed by its digest, so a rotation
 * re-verifies. A refresh that fails (unreachable, or failing TUF verification) leaves trust/current as it was.
 *
 * The client is @freedomofpress/tuf-browser, a TUF client on fetch and WebCrypto with pluggable storage: tuf-js
 * (the CLI's, node/tuf.ts) needs node:fs and make-fetch-happen, which workerd does not have. Its downloads are not
 * size-bounded; the cron only talks to the configured repository over https, and the worst a hostile one can do is
 * fail the refresh (workerd's memory limit ends it), never change what verifies.
 */
import { TUFClient, type FileBackend } from '@freedomofpress/tuf-browser';
import { ModelVerifyError, toModelVerifyError } from '../core/index.js';
import { parseTrustRoot, SIGSTORE_PRODUCTION_TUF } from '../core/sigstore/index.js';
import { sha256, toHex, utf8Encode } from '../core/util/index.js';
import type { KVNamespace } from '@cloudflare/workers-types/latest';
import type { Env } from './env.js';

export const TRUST_KEY = 'trust/current';
const TRUSTED_ROOT_TARGET = 'trusted_root.json';
/** Bound on what is stored and parsed per request (the production root is ~12 KiB). */
const MAX_TRUSTED_ROOT_BYTES = 8 << 20;

export interface StoredTrustRoot {
  /** trusted_root.json as the repository served it (its hashes checked against signed targets metadata). */
  trustedRoot: string;
  /** SHA-256 hex of trustedRoot: the verdict caches' trust-root key. */
  digest: string;
  repository: string;
  tufRootVersion: number;
  /** When the cron last fetched and verified it. */
  checkedAt: string;
  /** Earliest expiry of the timestamp, snapshot and targets metadata that vouched for it. */
  expires?: string;
}

/** The TUF client's cache in KV, one namespace per repository (its keys are `<namespace>/<role>.json`). */
class KvBackend implements FileBackend {
  constructor(private readonly kv: KVNamespace) {}
  async read(key: string) {
    const v = await this.kv.get(`trust/tuf/${key}`);
    return v === null ? undefined : JSON.parse(v);
  }
  async write(key: string, value: unknown) {
    await this.kv.put(`trust/tuf/${key}`, JSON.stringify(value));
  }
  async writeRaw(key: string, value: Uint8Array) {
    await this.kv.put(`trust/tuf/${key}`, new TextDecoder().decode(value));
  }
  async delete(key: string) {
    await this.kv.delete(`trust/tuf/${key}`);
  }
}

function repositoryOf(env: Env): { url: string; root: string } {
  if (env.TUF_URL) {
    if (!env.TUF_ROOT) throw new ModelVerifyError('INPUT_MISSING', 'TUF_URL is set without TUF_ROOT (the repository’s initial root.json)');
    return { url: env.TUF_URL.replace(/\/+$/, ''), root: env.TUF_ROOT };
  }
  return { url: SIGSTORE_PRODUCTION_TUF.url, root: SIGSTORE_PRODUCTION_TUF.rootJson };
}

/** Runs the TUF client workflow and stores the verified trusted root in KV. Throws TUF_INVALID / TUF_UNAVAILABLE. */
export async function refreshTrustRoot(env: Env, now = new Date()): Promise<StoredTrustRoot> {
  const { url, root } = repositoryOf(env);
  const namespace = toHex(await sha256(utf8Encode(url))).slice(0, 32);
  const backend = new KvBackend(env.VERDICTS);
  const client = new TUFClient(`${url}/`, root, namespace, `${url}/targets/`, { backend });
  let bytes: Uint8Array;
  try {
    await client.updateTUF();
    bytes = new Uint8Array(await client.getTarget(TRUSTED_ROOT_TARGET));
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    // The library reports HTTP failures and network errors as plain Errors: tell them apart by their wording.
    const unreachable = e instanceof TypeError || /Failed to fetch|fetch failed|network/i.test(msg);
    throw new ModelVerifyError(unreachable ? 'TUF_UNAVAILABLE' : 'TUF_INVALID', `TUF refresh of ${url} failed: ${msg}`, { cause: e });
  }
  if (bytes.length > MAX_TRUSTED_ROOT_BYTES)
    throw new ModelVerifyError('TUF_INVALID', `${TRUSTED_ROOT_TARGET} of ${url} is larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  parseTrustRoot(JSON.parse(text), `TUF ${url}`); // only a root that parses is ever stored
  const meta = async (role: string) => (await backend.read(`${namespace}/${role}.json`)) as { signed?: { version?: number; expires?: string } } | undefined;
  const times = (await Promise.all(['timestamp', 'snapshot', 'targets'].map(meta)))
    .map((m) => Date.parse(m?.signed?.expires ?? ''))
    .filter((t) => !Number.isNaN(t));
  const stored: StoredTrustRoot = {
    trustedRoot: text,
    digest: toHex(await sha256(bytes)),
    repository: url,
    // The client caches a root only when it rotated: otherwise the initial one is the newest.
    tufRootVersion: (await meta('root'))?.signed?.version ?? (JSON.parse(root) as { signed: { version: number } }).signed.version,
    checkedAt: now.toISOString(),
    ...(times.length ? { expires: new Date(Math.min(...times)).toISOString() } : {}),
  };
  await env.VERDICTS.put(TRUST_KEY, JSON.stringify(stored));
  return stored;
}

/** The Cron Trigger's handler: a failed refresh is logged and leaves the stored root as it was. */
export async function scheduledRefresh(env: Env): Promise<void> {
  try {
    const s = await refreshTrustRoot(env);
    console.log(`trust root refreshed from ${s.repository} (TUF root v${s.tufRootVersion}, sha256 ${s.digest.slice(0, 12)}…)`);
  } catch (e) {
    const err = toModelVerifyError(e);
    console.error(`trust root refresh failed [${err.code}]: ${err.message}`);
    throw err; // the Cron run shows as failed in the dashboard
  }
}

/** The stored TUF root, or undefined when the cron has not stored one (or it is unreadable: the embedded root then). */
export async function storedTrustRoot(env: Env): Promise<StoredTrustRoot | undefined> {
  try {
    const v = await env.VERDICTS.get(TRUST_KEY);
    if (v === null || v.length > MAX_TRUSTED_ROOT_BYTES * 2) return undefined;
    const s = JSON.parse(v) as StoredTrustRoot;
    return typeof s.trustedRoot === 'string' && typeof s.digest === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}
