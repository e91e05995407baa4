/**
 * A cache for runtimes that take a `{ match, put }` object (Transformers.js `env.customCache`) which never hands
 * out unverified bytes: every entry is checked by the verified fetch on each `match` (a hash over the cached copy,
 * no download), an entry that fails is deleted and reported as a miss (the runtime then downloads through the
 * verified fetch again), and only files the signature covers are kept. Cache Storage is writable by any script of
 * the origin, so a stored copy gets no more trust than a server.
 */
import { isModelVerifyError } from '../errors.js';
import type { VerifiedFetch } from './verified-fetch.js';

export interface VerifiedCacheOptions {
  /** Cache Storage name (default `model-verify-cache`). */
  cacheName?: string;
  /** The CacheStorage to use (default: globalThis.caches). */
  caches?: CacheStorage;
}

export interface VerifiedCache {
  match(request: string | URL | Request): Promise<Response | undefined>;
  put(request: string | URL | Request, response: Response): Promise<void>;
  delete(request: string | URL | Request): Promise<boolean>;
}

const urlOf = (r: string | URL | Request) => (typeof r === 'string' ? r : r instanceof URL ? r.href : r.url);

export function createVerifiedCache(verifiedFetch: VerifiedFetch, opts: VerifiedCacheOptions = {}): VerifiedCache {
  const name = opts.cacheName ?? 'model-verify-cache';
  const open = () => (opts.caches ?? globalThis.caches).open(name);
  const signed = async (url: string) => (await verifiedFetch.lookup(url)).kind === 'signed';
  return {
    async match(request) {
      const url = urlOf(request);
      if (!(await signed(url))) return undefined;
      const cache = await open();
      const hit = await cache.match(url);
      if (!hit) return undefined;
      try {
        return await verifiedFetch.check(url, hit);
      } catch (e) {
        // A copy that does not match (planted, corrupted, truncated) is dropped: a miss, downloaded and checked anew.
        if (!isModelVerifyError(e) || e.code === 'INTERNAL') throw e;
        await cache.delete(url);
        return undefined;
      }
    },
    async put(request, response) {
      const url = urlOf(request);
      if (!(await signed(url)) || response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      await (await open()).put(url, response);
    },
    async delete(request) {
      return (await open()).delete(urlOf(request));
    },
  };
}
