/**
 * Which Sigstore services to use: a SigningConfig (v0.2) or a ClientTrustConfig holding one, or the
 * public-good / staging defaults. Only the API versions this client speaks are picked: Fulcio v2 API
 * (majorApiVersion 1), Rekor v1 or v2 (the first current one listed, as selector ANY allows), TSA v1.
 */
import { fail } from '../../errors.js';
import { field, isObject, type JsonObject } from '../../util/json.js';

export interface SigningServices {
  /** Fulcio base URL (the client appends /api/v2/signingCert). */
  fulcio: string;
  /** Rekor base URL (the client appends /api/v1/log/entries or /api/v2/log/entries). */
  rekor: string;
  /** Rekor API major version (2 = rekor-tiles: no integrated time, so a timestamp is required). Default 1. */
  rekorVersion?: 1 | 2;
  /** Full RFC 3161 endpoint, e.g. https://timestamp.sigstore.dev/api/v1/timestamp (optional). */
  tsa?: string;
  /** OIDC issuer for interactive sign-in (informational for token-based signing). */
  oidcIssuer?: string;
}

export const PUBLIC_GOOD: SigningServices = {
  fulcio: 'https://fulcio.sigstore.dev',
  rekor: 'https://rekor.sigstore.dev',
  tsa: 'https://timestamp.sigstore.dev/api/v1/timestamp',
  oidcIssuer: 'https://oauth2.sigstore.dev/auth',
};

export const STAGING: SigningServices = {
  fulcio: 'https://fulcio.sigstage.dev',
  rekor: 'https://rekor.sigstage.dev',
  tsa: 'https://timestamp.sigstage.dev/api/v1/timestamp',
  oidcIssuer: 'https://oauth2.sigstage.dev/auth',
};

function current(s: JsonObject, now: Date): boolean {
  const v = field(s, 'validFor');
  if (!isObject(v)) return true;
  const start = typeof v.start === 'string' ? Date.parse(v.start) : NaN;
  const end = typeof v.end === 'string' ? Date.parse(v.end) : NaN;
  return !(start > now.getTime()) && !(end <= now.getTime());
}

function pickAny(cfg: JsonObject, key: string, versions: number[], now: Date): { url: string; version: number } | undefined {
  const list = field(cfg, key);
  if (!Array.isArray(list)) return undefined;
  for (const s of list) {
    if (!isObject(s) || typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) continue;
    const version = Number(field(s, 'majorApiVersion') ?? 1);
    if (!versions.includes(version) || !current(s, now)) continue;
    return { url: s.url.replace(/\/+$/, ''), version };
  }
  return undefined;
}

const pick = (cfg: JsonObject, key: string, version: number, now: Date) => pickAny(cfg, key, [version], now)?.url;

/** Reads services from SigningConfig JSON, or from the `signingConfig` of a ClientTrustConfig. */
export function servicesFromConfig(json: unknown, now = new Date()): SigningServices {
  if (!isObject(json)) fail('TRUST_ROOT_INVALID', 'The signing configuration must be a JSON object');
  const inner = field(json, 'signingConfig');
  const cfg = isObject(inner) ? inner : json;
  const fulcio = pick(cfg, 'caUrls', 1, now);
  const rekor = pickAny(cfg, 'rekorTlogUrls', [1, 2], now);
  if (!fulcio) fail('TRUST_ROOT_INVALID', 'The signing configuration lists no usable certificate authority (Fulcio, API v1)');
  if (!rekor) fail('TRUST_ROOT_INVALID', 'The signing configuration lists no usable Rekor log (API v1 or v2)');
  const tsa = pick(cfg, 'tsaUrls', 1, now);
  if (rekor.version === 2 && !tsa) fail('TRUST_ROOT_INVALID', 'Rekor v2 records no signing time, so the signing configuration must list a timestamp authority');
  const oidc = pick(cfg, 'oidcUrls', 1, now);
  return { fulcio, rekor: rekor.url, rekorVersion: rekor.version as 1 | 2, ...(tsa ? { tsa } : {}), ...(oidc ? { oidcIssuer: oidc } : {}) };
}
