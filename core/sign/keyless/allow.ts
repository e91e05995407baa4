/**
 * The signing proxy's allow-list: which upstream URLs a browser may reach through the operator's Worker.
 * Pure (no Worker APIs) so the web app can decide, with the same rules, which calls to route through it.
 */

/** One upstream origin and the paths allowed on it; `paths: null` means any path (an operator's own instance). */
export interface AllowEntry {
  origin: string;
  paths: string[] | null;
}

/** Public-good (and staging) endpoints that send no CORS headers: OAuth discovery, token, device; Rekor v2 logs. */
export const BUILT_IN: readonly AllowEntry[] = [
  ...['https://oauth2.sigstore.dev', 'https://oauth2.sigstage.dev'].map((origin) => ({
    origin,
    paths: ['/auth/.well-known/openid-configuration', '/auth/token', '/auth/device/code'],
  })),
  // Rekor v2 (rekor-tiles) shards from the public-good signing config (rekorTlogUrls with majorApiVersion 2);
  // a new yearly shard is added here, or by the operator through SIGNING_PROXY_ALLOW until then.
  { origin: 'https://log2025-1.rekor.sigstore.dev', paths: ['/api/v2/log/entries'] },
];

/** `SIGNING_PROXY_ALLOW`: comma-separated https origins (no path, no credentials); anything else is ignored. */
export function parseAllowVar(text: string | undefined): AllowEntry[] {
  const out: AllowEntry[] = [];
  for (const raw of (text ?? '').split(',')) {
    const s = raw.trim();
    if (!s) continue;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      continue;
    }
    if (u.protocol !== 'https:' || u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) continue;
    out.push({ origin: u.origin, paths: null });
  }
  return out;
}

export function allowList(extra: string | undefined): AllowEntry[] {
  return [...BUILT_IN, ...parseAllowVar(extra)];
}

/** Why a target URL is refused, or null when it may be relayed. Strict on form: https, no credentials, no encoded separators. */
export function refusal(target: string, list: readonly AllowEntry[]): string | null {
  if (!/^https:\/\//i.test(target)) return 'only https:// upstream URLs are relayed';
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return 'the upstream URL does not parse';
  }
  if (u.username || u.password) return 'upstream URLs must not carry credentials';
  // Encoded dots, slashes and backslashes could be decoded differently upstream than matched here.
  if (/%(2e|2f|5c|00)/i.test(u.pathname) || target.includes('\\')) return 'the upstream path contains encoded separators';
  const entry = list.find((e) => e.origin === u.origin);
  if (!entry) return `${u.origin} is not an allow-listed upstream`;
  if (entry.paths && !entry.paths.includes(u.pathname)) return `${u.pathname} is not an allow-listed path on ${u.origin}`;
  return null;
}
