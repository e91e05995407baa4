/**
 * Routing the Sign page's Sigstore calls through the operator's same-origin proxy (worker/proxy/relay.ts) when
 * the app is served by our Worker: only calls to upstreams its allow-list names (OAuth discovery/token/device,
 * Rekor v2 — they send no CORS headers) go through it; Fulcio, the TSA and Rekor v1 are still called directly.
 */
import type { Fetch } from '../core/sign/keyless/index.js';
import { refusal, type AllowEntry } from '../core/sign/keyless/index.js';

export interface ProxyInfo {
  /** Same-origin path of the relay, e.g. `/api/v1/proxy`. */
  proxy: string;
  allow: AllowEntry[];
}

const isEntry = (e: unknown): e is AllowEntry =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as AllowEntry).origin === 'string' &&
  ((e as AllowEntry).paths === null || (Array.isArray((e as AllowEntry).paths) && (e as AllowEntry).paths!.every((p) => typeof p === 'string')));

/** Asks this origin for `/api/v1/proxy/info`; null when the app is served without our Worker (static hosting, dev server). */
export async function detectProxy(f: Fetch = (u, i) => fetch(u, i), base = globalThis.location?.origin ?? ''): Promise<ProxyInfo | null> {
  try {
    const res = await f(`${base}/api/v1/proxy/info`, { method: 'GET', headers: { accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('application/json')) return null;
    const body = (await res.json()) as { proxy?: unknown; allow?: unknown };
    // Only a same-origin path: the relay sees identity tokens, so it must be the party that serves this page.
    if (typeof body.proxy !== 'string' || !/^\/[^/\\]/.test(body.proxy) || !Array.isArray(body.allow) || !body.allow.every(isEntry)) return null;
    return { proxy: `${base}${body.proxy}`, allow: body.allow };
  } catch {
    return null;
  }
}

/** A fetch for core's keyless functions: allow-listed upstreams via the relay, everything else unchanged. */
export function proxiedFetch(info: ProxyInfo, inner: Fetch = (u, i) => fetch(u, i)): Fetch {
  return (url, init) => (refusal(url, info.allow) === null ? inner(`${info.proxy}?url=${encodeURIComponent(url)}`, init) : inner(url, init));
}

/** Whether any upstream of this instance (its OIDC issuer's or its Rekor's origin) goes through the relay. */
export function relays(info: ProxyInfo | null, urls: readonly (string | undefined)[]): boolean {
  if (!info) return false;
  return urls.some((u) => {
    if (!u) return false;
    try {
      const origin = new URL(u).origin;
      return info.allow.some((e) => e.origin === origin);
    } catch {
      return false;
    }
  });
}
