/**
 * The verifying Service Worker. Requests under the registered prefixes are answered only with bytes that
 * createVerifiedFetch (core, the same checks as everywhere) released: a whole file that matched its signed digest.
 * Verified files are stored in Cache Storage keyed by digest and served from there on repeats, offline included;
 * a cached copy is hashed again before it is served (the cache is writable by any script of the origin, so a
 * planted entry is no better than a hostile server). Failures are error responses carrying the typed code:
 * `{"error":{"code","message","resource"}}`, status 404 for a missing signed file and 502 otherwise.
 * This worker always verifies-then-releases: no byte of a file is served before the whole file matched.
 */
import { createVerifiedFetch, type SignedFile, type VerifiedFetch } from '../../core/fetch/index.js';
import { isModelVerifyError, toModelVerifyError } from '../../core/index.js';
import { CONFIG_CACHE, configKey, FILE_CACHE, PREFIXES_PARAM, type VerifierConfig } from './config.js';

/** The parts of a ServiceWorkerGlobalScope used here (the DOM typings this project builds with lack them). */
export interface ServiceWorkerScopeLike {
  location: { href: string };
  caches: CacheStorage;
  fetch: typeof fetch;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', cb: (e: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'fetch', cb: (e: { request: Request; respondWith(r: Promise<Response> | Response): void }) => void): void;
}

/** Cache Storage key of a signed file's verified bytes: its algorithm and digest (a hash of the shard digests). */
export async function cacheKey(file: SignedFile): Promise<string> {
  if (file.method === 'files') return `https://model-verify.invalid/files/${file.hash}/${file.pieces[0]!.digest}`;
  const all = new TextEncoder().encode(file.pieces.map((p) => `${p.start}:${p.end}:${p.digest}`).join('\n'));
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return `https://model-verify.invalid/shards/${file.hash}/${file.size}/${[...h].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function errorResponse(e: unknown): Response {
  const err = toModelVerifyError(e);
  return new Response(JSON.stringify({ error: err.toJSON() }), {
    status: err.code === 'MISSING_FILE' ? 404 : 502,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-model-verify-error': err.code },
  });
}

/** Installs the verifier's listeners on a Service Worker scope (call once, at the worker's top level). */
export function serveModelVerifier(scope: ServiceWorkerScopeLike): void {
  const param = new URL(scope.location.href).searchParams.get(PREFIXES_PARAM);
  let prefixes: string[] = [];
  try {
    const parsed: unknown = param ? JSON.parse(param) : [];
    if (Array.isArray(parsed)) prefixes = parsed.filter((p): p is string => typeof p === 'string');
  } catch {
    // A malformed script URL: no prefixes, nothing intercepted.
  }
  const net: typeof fetch = (input, init) => scope.fetch(input, init);
  let verifiers: Promise<VerifiedFetch[]> | null = null;

  /** One verified fetch per prefix, from the configuration the page stored (re-read after a restart). */
  function load(): Promise<VerifiedFetch[]> {
    verifiers ??= (async () => {
      const stored = await (await scope.caches.open(CONFIG_CACHE)).match(configKey(prefixes));
      if (!stored) throw toModelVerifyError(new Error('No model-verify configuration stored: call registerModelVerifier first'), 'INPUT_MISSING');
      const config = (await stored.json()) as VerifierConfig;
      const files = await scope.caches.open(FILE_CACHE);
      return prefixes.map((baseUrl) => {
        let vf: VerifiedFetch;
        // Whole-file downloads are answered from the digest-keyed cache when it holds the file; the bytes are
        // hashed again either way. Ranged (shard) downloads go to the network.
        const fromCacheFirst: typeof fetch = async (input, init) => {
          const req = new Request(input, init);
          if (!req.headers.has('range')) {
            const found = await vf.lookup(req.url);
            if (found.kind === 'signed') {
              const hit = await files.match(await cacheKey(found.file));
              if (hit) return hit;
            }
          }
          return net(req);
        };
        vf = createVerifiedFetch({ signature: config.signature, policy: config.policy, baseUrl, fetch: fromCacheFirst });
        return vf;
      });
    })();
    verifiers.catch(() => {
      verifiers = null; // retried on the next request (the page may store the configuration later)
    });
    return verifiers;
  }

  async function answer(req: Request, index: number): Promise<Response> {
    const vf = (await load())[index]!;
    const found = await vf.lookup(req.url);
    const key = found.kind === 'signed' ? await cacheKey(found.file) : null;
    const files = await scope.caches.open(FILE_CACHE);
    let res: Response;
    try {
      res = await vf(req);
    } catch (e) {
      // A cached copy that no longer matches (planted or corrupted): drop it and download once more.
      if (!(isModelVerifyError(e) && e.code === 'HASH_MISMATCH' && key && (await files.delete(key)))) throw e;
      res = await vf(req);
    }
    if (key && res.status === 200 && req.method === 'GET' && !(await files.match(key))) {
      await files.put(key, res.clone());
    }
    return res;
  }

  scope.addEventListener('install', (e) => e.waitUntil(scope.skipWaiting()));
  scope.addEventListener('activate', (e) => e.waitUntil(scope.clients.claim()));
  scope.addEventListener('fetch', (e) => {
    const req = e.request;
    const index = prefixes.findIndex((p) => req.url.startsWith(p));
    if (index < 0) return; // not ours: the browser handles it as if there were no worker
    e.respondWith(answer(req, index).catch(errorResponse));
  });
}
