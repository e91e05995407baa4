/**
 * Where a page's Sigstore trust root comes from (the element's `trust` attribute, the app's "Trust root" choice):
 *   'tuf'      — refreshed through TUF (core/sigstore/tuf, the web-standard client) from the Sigstore public-good
 *                repository or a private one (tufUrl + its initial root.json), metadata kept in IndexedDB
 *                (browser/tuf-storage.ts) so rollbacks are caught across visits, and a refreshed root reused
 *                without the network while its metadata is unexpired (as the CLI does); failures are typed
 *                (TUF_UNAVAILABLE, TUF_INVALID) and never fall back silently to an older root;
 *   'embedded' — the snapshot built into this release (never touches the network);
 *   a URL      — a trusted_root.json the page's author serves (a private Sigstore).
 * One refresh per repository per page: every badge of a page shares it (a failed one is retried next time).
 */
import { ModelVerifyError } from '../core/index.js';
import { fetchBytes } from '../core/sources/index.js';

export type TrustChoice = 'tuf' | 'embedded' | (string & {});

export interface TrustChoiceOptions {
  /** A private TUF repository's base URL (default: Sigstore public-good). */
  tufUrl?: string;
  /** That repository's initial root.json, as text (required with tufUrl: it is what the client trusts first). */
  tufRootJson?: string;
  signal?: AbortSignal;
}

/** Largest trusted_root.json read from a URL (the production one is ~12 KiB). */
const MAX_TRUSTED_ROOT_BYTES = 8 << 20;

const refreshed = new Map<string, Promise<unknown>>();

/** The trustedRoot option for core (undefined = the embedded snapshot). */
export async function trustedRootFor(choice: TrustChoice, o: TrustChoiceOptions = {}): Promise<unknown> {
  const c = choice.trim();
  if (c === 'embedded') return undefined;
  if (c === '' || c === 'tuf') return tufRoot(o);
  let url: URL;
  try {
    url = new URL(c, globalThis.location?.href);
  } catch {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `trust must be 'tuf', 'embedded' or the URL of a trusted_root.json, not '${c.slice(0, 200)}'`);
  }
  const bytes = await fetchBytes(url, 'trusted root', { maxBytes: MAX_TRUSTED_ROOT_BYTES, ...(o.signal ? { signal: o.signal } : {}) });
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `The trusted root at ${url.href} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}

function tufRoot(o: TrustChoiceOptions): Promise<unknown> {
  if (o.tufUrl && !o.tufRootJson) throw new ModelVerifyError('INPUT_MISSING', `A private TUF repository (${o.tufUrl}) needs its initial root.json (tuf-root)`);
  const key = o.tufUrl ?? '';
  let p = refreshed.get(key);
  if (!p) {
    // Loaded on use: pages that never verify a keyless signature do not download the TUF client.
    p = (async () => {
      const [{ readStoredTufTrustedRoot, refreshTufTrustedRoot, trustRootFromTuf }, { indexedDbTufStorage }, { SIGSTORE_PRODUCTION_TUF }] = await Promise.all([
        import('../core/sigstore/tuf/index.js'),
        import('../browser/tuf-storage.js'),
        import('../core/sigstore/index.js'),
      ]);
      const repo = o.tufUrl ? { url: o.tufUrl, rootJson: o.tufRootJson! } : { url: SIGSTORE_PRODUCTION_TUF.url, rootJson: SIGSTORE_PRODUCTION_TUF.rootJson };
      const storage = indexedDbTufStorage();
      // As the CLI does: a root refreshed earlier is used without the network while the timestamp, snapshot and
      // targets metadata that vouched for it are unexpired (the freshness window the repository itself signed).
      const lastKey = `model-verify/last/${repo.url}`;
      const last = readStoredTufTrustedRoot(await storage.get(lastKey));
      if (last?.expires && Date.parse(last.expires) > Date.now()) return trustRootFromTuf(last, 'cache');
      const fresh = await refreshTufTrustedRoot(repo, storage);
      await storage.put(lastKey, JSON.stringify(fresh));
      return trustRootFromTuf(fresh);
    })();
    refreshed.set(key, p);
    p.catch(() => refreshed.delete(key));
  }
  return p;
}
