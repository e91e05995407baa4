/**
 * The Sigstore trusted_root.json through TUF, for the CLI. Node-only: tuf-js (the maintained TUF client, used by
 * sigstore-js) keeps its metadata cache with node:fs and fetches with make-fetch-happen (proxies, retries), so it
 * cannot run in browsers or workerd as it is.
 *
 * The cache is tuf-js's own layout under one directory per repository: root.json, timestamp.json, snapshot.json,
 * targets.json, targets/trusted_root.json, plus our checked.json (when metadata was last fetched). `refresh`
 * uses the cached metadata while its timestamp is unexpired (no network), and otherwise runs the TUF client
 * workflow against the repository (root rotations, timestamp, snapshot, targets, the target's hashes). `readCached`
 * never touches the network: it re-checks the cached trusted_root.json against the cached root and targets
 * metadata, and accepts expired metadata (the caller asked for offline use and reports the expiry).
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, MetadataKind, TargetFile } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { DownloadHTTPError, PersistError } from 'tuf-js/dist/error.js';
import { DefaultFetcher } from 'tuf-js/dist/fetcher.js';
import { ModelVerifyError } from '../core/errors.js';
import { parseTrustRoot, TrustRoot } from '../core/sigstore/index.js';

/** The target every Sigstore TUF repository publishes the trust root as. */
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
/** Bound on the trusted_root.json target (the production one is ~12 KiB), checked before it is downloaded. */
export const MAX_TRUSTED_ROOT_TARGET_BYTES = 8 << 20;
/** Bound on a root.json given by the user (tuf-js bounds what it downloads itself). */
const MAX_ROOT_BYTES = 512 * 1024;

export interface TufRepository {
  /** Metadata base URL; targets are under `${url}/targets`. */
  url: string;
  /** The root metadata trusted as given (embedded from a pinned package, or --tuf-root). */
  initialRoot?: string;
  /** The cache directory of this repository (see cacheDirFor). */
  cacheDir: string;
}

export interface TufTrust {
  root: TrustRoot;
  /** Newest TUF root version, and the earliest expiry of timestamp, snapshot and targets (RFC 3339). */
  rootVersion: number;
  expires?: string;
  checkedAt?: string;
  /** `tuf`: metadata fetched from the repository in this call; `cache`: cached metadata only. */
  origin: 'tuf' | 'cache';
}

/**
 * `$XDG_CACHE_HOME/model-verify/tuf/<host>` (an absolute XDG_CACHE_HOME only, as the spec says), else
 * ~/.cache/model-verify/tuf/<host>; MODEL_VERIFY_TUF_CACHE (absolute) replaces `…/model-verify/tuf` (the test suite
 * points it at an empty directory so a developer's own cache never changes a result).
 */
export function cacheDirFor(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const u = new URL(url);
  const own = env.MODEL_VERIFY_TUF_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  const base = own && path.isAbsolute(own) ? own : path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'model-verify', 'tuf');
  // One directory per repository: the host, plus its path when it has one (encoded: no '/', '..' or ':' left).
  return path.join(base, encodeURIComponent(u.host + u.pathname.replace(/\/+$/, '')));
}

const invalid = (msg: string, cause?: unknown) => new ModelVerifyError('TUF_INVALID', msg, cause === undefined ? undefined : { cause });

function rootVersionOf(text: string, what: string): number {
  let v: unknown;
  try {
    v = (JSON.parse(text) as { signed?: { _type?: unknown; version?: unknown } }).signed;
  } catch (e) {
    throw invalid(`${what} is not JSON: ${(e as Error).message}`, e);
  }
  const s = v as { _type?: unknown; version?: unknown } | undefined;
  if (s?._type !== 'root' || !Number.isSafeInteger(s.version) || (s.version as number) < 1) throw invalid(`${what} is not TUF root metadata`);
  return s.version as number;
}

/** Reads a cached metadata file, undefined when absent; bounded like tuf-js's own downloads. */
function readCachedFile(file: string, max: number): string | undefined {
  if (!existsSync(file)) return undefined;
  const st = statSync(file);
  if (!st.isFile() || st.size > max) throw invalid(`Cached TUF file ${file} is not a regular file of at most ${max} bytes`);
  return readFileSync(file, 'utf8');
}

/**
 * Puts the initial root in the cache when there is none, or when it is newer than the cached one (a newer pinned
 * root wins over an old cache). A cached root was written by tuf-js only after it verified it.
 */
function seedRoot(repo: TufRepository): void {
  mkdirSync(path.join(repo.cacheDir, 'targets'), { recursive: true, mode: 0o700 });
  const file = path.join(repo.cacheDir, 'root.json');
  const cached = readCachedFile(file, MAX_ROOT_BYTES);
  if (repo.initialRoot === undefined) {
    if (cached === undefined)
      throw new ModelVerifyError('INPUT_MISSING', `No TUF root for ${repo.url}: give its initial root metadata with --tuf-root ROOT.json`);
    rootVersionOf(cached, `cached ${file}`);
    return;
  }
  const initial = rootVersionOf(repo.initialRoot, 'the initial TUF root');
  let cachedVersion = 0;
  try {
    if (cached !== undefined) cachedVersion = rootVersionOf(cached, `cached ${file}`);
  } catch {
    cachedVersion = 0; // unreadable cache: start again from the root we were given
  }
  if (initial > cachedVersion) writeFileSync(file, repo.initialRoot, { mode: 0o600 });
}

/**
 * tuf-js's fetcher, watched: a failure to reach or read the repository is told apart from metadata that was read
 * and failed verification (tuf-js wraps both in the same RuntimeError for snapshot and targets).
 */
class WatchedFetcher extends DefaultFetcher {
  unreachable?: { url: string; error: unknown };
  override async fetch(url: string): Promise<NodeJS.ReadableStream> {
    try {
      return await super.fetch(url);
    } catch (e) {
      // No next root version (403/404) is how a repository says there is no newer root (TUF spec 5.3.4).
      const noNextRoot = e instanceof DownloadHTTPError && [403, 404].includes(e.statusCode) && /\/\d+\.root\.json$/.test(url);
      if (!noNextRoot) this.unreachable ??= { url, error: e };
      throw e;
    }
  }
}

function expiryOf(dir: string): string | undefined {
  const times: number[] = [];
  for (const role of ['timestamp', 'snapshot', 'targets']) {
    try {
      const t = readCachedFile(path.join(dir, `${role}.json`), 5_000_000);
      const e = t === undefined ? undefined : (JSON.parse(t) as { signed?: { expires?: unknown } }).signed?.expires;
      if (typeof e === 'string' && !Number.isNaN(Date.parse(e))) times.push(Date.parse(e));
    } catch {
      /* absent or unreadable: not part of the minimum */
    }
  }
  return times.length ? new Date(Math.min(...times)).toISOString() : undefined;
}

function checkedAtOf(dir: string): string | undefined {
  try {
    const t = (JSON.parse(readFileSync(path.join(dir, 'checked.json'), 'utf8')) as { checkedAt?: unknown }).checkedAt;
    return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The newest validity start in a root: the date its trust material is current as of (like the embedded one's). */
function currentAsOf(root: TrustRoot): string | undefined {
  const starts = [...root.tlogs, ...root.ctlogs, ...root.cas, ...root.tsas].map((x) => x.validFor.start.getTime());
  return starts.length ? new Date(Math.max(...starts)).toISOString().slice(0, 10) : undefined;
}

function trustFrom(bytes: Buffer, repo: TufRepository, origin: 'tuf' | 'cache', rootVersion: number): TufTrust {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(`The ${TRUSTED_ROOT_TARGET} target of ${repo.url} is not JSON`, e);
  }
  const p = parseTrustRoot(json, `TUF ${repo.url}`);
  const root = new TrustRoot(p.tlogs, p.ctlogs, p.cas, p.tsas, p.source, currentAsOf(p));
  const expires = expiryOf(repo.cacheDir);
  const checkedAt = checkedAtOf(repo.cacheDir);
  root.provenance = {
    origin,
    repository: repo.url,
    tufRootVersion: rootVersion,
    ...(checkedAt ? { checkedAt } : {}),
    ...(expires ? { expires } : {}),
  };
  return { root, rootVersion, origin, ...(expires ? { expires } : {}), ...(checkedAt ? { checkedAt } : {}) };
}

/** Reads a target file after checking it against its TargetFile (length and every hash). */
async function verifiedTarget(info: TargetFile, file: string, what: string): Promise<Buffer> {
  if (info.length > MAX_TRUSTED_ROOT_TARGET_BYTES)
    throw invalid(`${what}: the targets metadata gives it ${info.length} bytes (at most ${MAX_TRUSTED_ROOT_TARGET_BYTES})`);
  try {
    await info.verify(createReadStream(file));
  } catch (e) {
    throw invalid(`${what} does not match its targets metadata: ${(e as Error).message}`, e);
  }
  const bytes = readFileSync(file);
  if (bytes.length !== info.length) throw invalid(`${what} changed while it was read`);
  return bytes;
}

/**
 * Refreshes through TUF and returns the repository's trusted root. Verification failures are TUF_INVALID (never
 * a fallback); a repository that cannot be reached is TUF_UNAVAILABLE (the caller decides whether a fallback is
 * allowed). `timeoutMs` bounds each request.
 */
export async function refreshTrustedRoot(repo: TufRepository, opts: { timeoutMs?: number; retries?: number } = {}): Promise<TufTrust> {
  seedRoot(repo);
  const fetcher = new WatchedFetcher({ userAgent: 'model-verify', timeout: opts.timeoutMs ?? 15_000, retry: { retries: opts.retries ?? 1, minTimeout: 250 } });
  const what = `${TRUSTED_ROOT_TARGET} from ${repo.url}`;
  try {
    // Cached metadata is used while it is unexpired (freshCache); otherwise the full client workflow runs, root
    // first. Not tuf-js's forceCache: with no cached timestamp it fetches one without updating the root first,
    // so a rotated or revoked key would go unseen (tests/tuf/tuf.test.ts has the case).
    const fresh = await freshCache(repo);
    if (fresh) return fresh;
    const updater = new Updater({
      metadataBaseUrl: repo.url,
      targetBaseUrl: `${repo.url.replace(/\/+$/, '')}/targets`,
      metadataDir: repo.cacheDir,
      targetDir: path.join(repo.cacheDir, 'targets'),
      fetcher,
    });
    await updater.refresh();
    const info = await updater.getTargetInfo(TRUSTED_ROOT_TARGET);
    if (!info) throw invalid(`The TUF repository ${repo.url} has no ${TRUSTED_ROOT_TARGET} target`);
    if (info.length > MAX_TRUSTED_ROOT_TARGET_BYTES)
      throw invalid(`${what}: the targets metadata gives it ${info.length} bytes (at most ${MAX_TRUSTED_ROOT_TARGET_BYTES})`);
    const file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
    const bytes = await verifiedTarget(info, file, what);
    writeFileSync(path.join(repo.cacheDir, 'checked.json'), JSON.stringify({ checkedAt: new Date().toISOString() }), { mode: 0o600 });
    const version = rootVersionOf(readFileSync(path.join(repo.cacheDir, 'root.json'), 'utf8'), 'the trusted TUF root');
    return trustFrom(bytes, repo, 'tuf', version);
  } catch (e) {
    if (e instanceof ModelVerifyError) throw e;
    if (fetcher.unreachable) {
      const cause = fetcher.unreachable.error as Error;
      throw new ModelVerifyError(
        'TUF_UNAVAILABLE',
        `Cannot reach the TUF repository ${repo.url} (${fetcher.unreachable.url}: ${cause?.message ?? String(cause)})`,
        { cause: e },
      );
    }
    if (e instanceof PersistError) throw new ModelVerifyError('IO_ERROR', `Cannot write the TUF cache ${repo.cacheDir}: ${e.message}`, { cause: e });
    // Everything else was read and refused: rollback, expired or mixed metadata, too few signatures, bad hashes.
    throw invalid(`TUF verification of ${repo.url} failed: ${(e as Error)?.message ?? String(e)}`, e);
  }
}

/**
 * The cached trusted root without any network: the cached targets metadata must carry a threshold of signatures
 * of the cached (trusted) root's targets keys, and the cached target must match it. Expiry is not enforced
 * here (offline use by choice); the result says when the metadata expired. Undefined when nothing is cached.
 */
export async function readCachedTrustedRoot(repo: Pick<TufRepository, 'url' | 'cacheDir'>): Promise<TufTrust | undefined> {
  return readCache(repo, false);
}

/**
 * The cache when it can stand for a refresh: timestamp, snapshot and targets all unexpired, each signed by a
 * threshold of the cached root's keys for its role, and naming each other's versions; undefined otherwise.
 */
async function freshCache(repo: Pick<TufRepository, 'url' | 'cacheDir'>): Promise<TufTrust | undefined> {
  try {
    return await readCache(repo, true);
  } catch {
    return undefined; // anything amiss: the full workflow decides
  }
}

async function readCache(repo: Pick<TufRepository, 'url' | 'cacheDir'>, fresh: boolean): Promise<TufTrust | undefined> {
  const dir = repo.cacheDir;
  const rootText = readCachedFile(path.join(dir, 'root.json'), MAX_ROOT_BYTES);
  const targetsText = readCachedFile(path.join(dir, 'targets.json'), 5_000_000);
  const targetFile = path.join(dir, 'targets', encodeURIComponent(TRUSTED_ROOT_TARGET));
  if (rootText === undefined || targetsText === undefined || !existsSync(targetFile)) return undefined;
  const what = `cached ${TRUSTED_ROOT_TARGET} of ${repo.url}`;
  let info: TargetFile | undefined;
  let version: number;
  try {
    const root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(rootText));
    const targets = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(targetsText));
    root.verifyDelegate(MetadataKind.Targets, targets);
    if (fresh) {
      const timestampText = readCachedFile(path.join(dir, 'timestamp.json'), 16_384);
      const snapshotText = readCachedFile(path.join(dir, 'snapshot.json'), 2_000_000);
      if (timestampText === undefined || snapshotText === undefined) return undefined;
      const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse(timestampText));
      const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, JSON.parse(snapshotText));
      root.verifyDelegate(MetadataKind.Timestamp, timestamp);
      root.verifyDelegate(MetadataKind.Snapshot, snapshot);
      const now = new Date();
      if ([root, timestamp, snapshot, targets].some((m) => m.signed.isExpired(now))) return undefined;
      if (timestamp.signed.snapshotMeta.version !== snapshot.signed.version) return undefined;
      if (snapshot.signed.meta['targets.json']?.version !== targets.signed.version) return undefined;
    }
    info = targets.signed.targets[TRUSTED_ROOT_TARGET];
    version = root.signed.version;
  } catch (e) {
    throw invalid(`The TUF cache ${dir} does not verify: ${(e as Error).message}`, e);
  }
  if (!info) throw invalid(`The cached targets metadata of ${repo.url} has no ${TRUSTED_ROOT_TARGET}`);
  const bytes = await verifiedTarget(info, targetFile, what);
  return trustFrom(bytes, { ...repo }, 'cache', version);
}
