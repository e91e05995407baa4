/**
 * The Sigstore trust root at the edge, refreshed through TUF by a Cron Trigger (wrangler.toml [triggers]) into KV:
 *   trust/tuf/<namespace>/<role>.json  → the TUF client's metadata (root, timestamp, snapshot, targets)
 *   trust/current                      → StoredTrustRoot: the verified trusted_root.json and where it came from
 * The verify API and the gate read trust/current (worker/store.ts); verdicts are keyed by its digest, so a rotation
 * re-verifies. A refresh that fails (unreachable, or failing TUF verification) leaves trust/current as it was.
 * The client is core's web-standard one (core/sigstore/tuf/client.ts): tuf-js, the CLI's, needs node:fs.
 */
import type { KVNamespace } from '@cloudflare/workers-types/latest';
import { ModelVerifyError, toModelVerifyError } from '../core/index.js';
import { SIGSTORE_PRODUCTION_TUF } from '../core/sigstore/index.js';
import { readStoredTufTrustedRoot, refreshTufTrustedRoot, type TufStorage, type TufTrustedRoot } from '../core/sigstore/tuf/index.js';
import type { Env } from './env.js';

export const TRUST_KEY = 'trust/current';

export type StoredTrustRoot = TufTrustedRoot;

/** The TUF client's metadata in KV under trust/tuf/. */
function kvStorage(kv: KVNamespace): TufStorage {
  return {
    get: async (key) => (await kv.get(`trust/tuf/${key}`)) ?? undefined,
    put: (key, value) => kv.put(`trust/tuf/${key}`, value),
    delete: (key) => kv.delete(`trust/tuf/${key}`),
  };
}

function repositoryOf(env: Env): { url: string; rootJson: string } {
  if (env.TUF_URL) {
    if (!env.TUF_ROOT) throw new ModelVerifyError('INPUT_MISSING', 'TUF_URL is set without TUF_ROOT (the repository’s initial root.json)');
    return { url: env.TUF_URL, rootJson: env.TUF_ROOT };
  }
  return { url: SIGSTORE_PRODUCTION_TUF.url, rootJson: SIGSTORE_PRODUCTION_TUF.rootJson };
}

/** Runs the TUF client workflow and stores the verified trusted root in KV. Throws TUF_INVALID / TUF_UNAVAILABLE. */
export async function refreshTrustRoot(env: Env, now = new Date()): Promise<StoredTrustRoot> {
  const stored = await refreshTufTrustedRoot(repositoryOf(env), kvStorage(env.VERDICTS), now);
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
    return readStoredTufTrustedRoot(await env.VERDICTS.get(TRUST_KEY));
  } catch {
    return undefined;
  }
}
