/**
 * Sigstore trust material for the CLI (docs/trust-roots.md):
 * - `--trusted-root FILE` (TrustedRoot JSON) or `--trust-config FILE` (ClientTrustConfig): that file, nothing fetched;
 * - otherwise the trusted_root.json of a TUF repository, refreshed through TUF (node/tuf.ts) and cached under
 *   $XDG_CACHE_HOME/model-verify/tuf/<host>: Sigstore production by default (its initial root embedded at build
 *   time), staging with `--use-staging`, a private one with `--tuf-url URL --tuf-root ROOT.json`;
 * - `--offline` (or MODEL_VERIFY_OFFLINE=1): no network; the cached root, else the embedded production snapshot.
 * A repository that fails TUF verification always fails (TUF_INVALID). One that cannot be reached fails
 * (TUF_UNAVAILABLE) unless `--trust-fallback cache|embedded` allows the cached root (cache) or the cached root, else
 * the embedded snapshot (embedded); the report's trustRoot says which root was used and how old it is.
 */
import path from 'node:path';
import { ModelVerifyError } from '../core/errors.js';
import { embeddedTrustRoot, parseTrustRoot, SIGSTORE_PRODUCTION_TUF, SIGSTORE_STAGING_TUF_URL, TrustRoot } from '../core/sigstore/index.js';
import type { TrustRootInfo } from '../core/verify/index.js';
import { cacheDirFor, readCachedTrustedRoot, refreshTrustedRoot, type TufTrust } from '../node/tuf.js';
import { MAX_TRUST_ROOT_BYTES, readText } from './read-input.js';

export type TrustFallback = 'cache' | 'embedded';

export interface TrustOptions {
  trustedRoot?: string;
  trustConfig?: string;
  useStaging?: boolean;
  offline?: boolean;
  tufUrl?: string;
  tufRoot?: string;
  trustFallback?: string;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readText(file, what, MAX_TRUST_ROOT_BYTES); // regular file, size-capped (read-input.ts)
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `Cannot read ${what} '${file}': ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `${what} '${file}' is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** MODEL_VERIFY_OFFLINE=1 (or true/yes) is `--offline` for every command: air-gapped machines, CI, the test suite. */
export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.MODEL_VERIFY_OFFLINE?.trim() ?? '');
}

function tufUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ModelVerifyError('POLICY_INVALID', `--tuf-url '${raw}' is not a URL`);
  }
  // Plain http only on loopback (local test repositories): TUF metadata is signed, but freshness and privacy are not.
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new ModelVerifyError('POLICY_INVALID', `--tuf-url must be https:// (got '${raw}')`);
  if (u.search || u.hash || u.username || u.password)
    throw new ModelVerifyError('POLICY_INVALID', `--tuf-url '${raw}' must have no query, fragment or credentials`);
  return u.href.replace(/\/+$/, '');
}

function fallbackOf(v: string | undefined): TrustFallback | undefined {
  if (v === undefined) return undefined;
  if (v === 'cache' || v === 'embedded') return v;
  throw new ModelVerifyError('POLICY_INVALID', `--trust-fallback must be 'cache' or 'embedded' (got '${v}')`);
}

function describeCache(t: TufTrust): string {
  const expired = t.expires && Date.parse(t.expires) < Date.now();
  return `the cached trust root of ${t.root.provenance?.repository} (TUF root v${t.rootVersion}${t.checkedAt ? `, last checked ${t.checkedAt}` : ''}${expired ? `, its TUF metadata expired ${t.expires}` : ''})`;
}

/**
 * Returns the trust root to verify with, or undefined for the embedded production snapshot (core's default).
 * Notes for the user (a fallback taken, expired cached metadata) are pushed onto `warnings`.
 */
export async function loadTrustedRoot(o: TrustOptions, warnings: string[] = []): Promise<TrustRoot | undefined> {
  const fallback = fallbackOf(o.trustFallback);
  if (o.trustedRoot && o.trustConfig) throw new ModelVerifyError('POLICY_INVALID', 'Use either --trusted-root or --trust-config, not both');
  const file = o.trustConfig ?? o.trustedRoot;
  if (file) {
    const tufFlags = [o.tufUrl && '--tuf-url', o.tufRoot && '--tuf-root', o.trustFallback && '--trust-fallback'].filter(Boolean);
    if (tufFlags.length)
      throw new ModelVerifyError(
        'POLICY_INVALID',
        `${tufFlags.join(', ')} cannot be used with ${o.trustConfig ? '--trust-config' : '--trusted-root'} (a file is used as given)`,
      );
    // Like the reference verifier: a trust config wins over --use-staging.
    const what = o.trustConfig ? 'trust config' : 'trusted root';
    const root = parseTrustRoot(await readJson(file, what), `${what} ${path.basename(file)}`);
    root.provenance = { origin: 'file' };
    return root;
  }
  if (o.tufUrl && o.useStaging) throw new ModelVerifyError('POLICY_INVALID', 'Use either --tuf-url or --use-staging, not both');
  if (o.tufRoot && !o.tufUrl && !o.useStaging)
    throw new ModelVerifyError('POLICY_INVALID', '--tuf-root needs --tuf-url (or --use-staging): the production root is built in');
  const url = o.tufUrl ? tufUrl(o.tufUrl) : o.useStaging ? SIGSTORE_STAGING_TUF_URL : SIGSTORE_PRODUCTION_TUF.url;
  const production = url === SIGSTORE_PRODUCTION_TUF.url;
  const cacheDir = cacheDirFor(url);
  const offline = !!o.offline || offlineFromEnv();

  const fromCache = async (why: string): Promise<TrustRoot | undefined> => {
    const cached = await readCachedTrustedRoot({ url, cacheDir });
    if (cached) {
      warnings.push(`${why}: verified with ${describeCache(cached)}`);
      return cached.root;
    }
    if (production && (offline || fallback === 'embedded')) {
      warnings.push(`${why}: verified with the trust root embedded at build time (no cached TUF root in ${cacheDir})`);
      return undefined;
    }
    throw new ModelVerifyError('TUF_UNAVAILABLE', `${why}, and no trust root of ${url} is cached in ${cacheDir}`);
  };

  if (offline) {
    const cached = await readCachedTrustedRoot({ url, cacheDir });
    if (cached) {
      if (cached.expires && Date.parse(cached.expires) < Date.now()) warnings.push(`Offline: verified with ${describeCache(cached)}`);
      return cached.root;
    }
    if (production) return undefined; // the embedded snapshot: the report names it and its date
    if (o.useStaging)
      throw new ModelVerifyError(
        'TUF_UNAVAILABLE',
        `No Sigstore staging trust root is available offline: none is cached in ${cacheDir} and none is built in (no pinned package ships the staging TUF root). Run once online with --use-staging --tuf-root ROOT.json, or pass a staging trusted_root.json with --trusted-root`,
      );
    throw new ModelVerifyError('TUF_UNAVAILABLE', `Offline, and no trust root of ${url} is cached in ${cacheDir}: run once online first`);
  }

  let initialRoot: string | undefined;
  if (o.tufRoot) {
    initialRoot = await readText(o.tufRoot, 'TUF root', MAX_TRUST_ROOT_BYTES);
  } else if (production) {
    initialRoot = SIGSTORE_PRODUCTION_TUF.rootJson;
  } else if (o.useStaging) {
    // No pinned package ships the staging repository's root (scripts/embed-tuf-roots.mjs): it must be given once.
    initialRoot = undefined;
  }
  try {
    return (await refreshTrustedRoot({ url, cacheDir, ...(initialRoot !== undefined ? { initialRoot } : {}) })).root;
  } catch (e) {
    if (e instanceof ModelVerifyError && e.code === 'INPUT_MISSING' && o.useStaging)
      throw new ModelVerifyError(
        'INPUT_MISSING',
        `No TUF root for the Sigstore staging repository is built in: download its root.json once (the staging root-signing repository publishes it) and pass --use-staging --tuf-root ROOT.json; later runs use the cached one`,
        { cause: e },
      );
    if (!(e instanceof ModelVerifyError) || e.code !== 'TUF_UNAVAILABLE' || !fallback) {
      if (e instanceof ModelVerifyError && e.code === 'TUF_UNAVAILABLE')
        throw new ModelVerifyError(
          e.code,
          `${e.message}. Pass --offline or --trust-fallback cache|embedded to verify with the cached or embedded root instead`,
          {
            cause: e,
          },
        );
      throw e;
    }
    return fromCache(e.message);
  }
}

/** The report's description of the root a keyless verification used (undefined: the embedded snapshot). */
export function trustInfo(root: unknown): TrustRootInfo {
  return (root instanceof TrustRoot ? root : embeddedTrustRoot()).info();
}
