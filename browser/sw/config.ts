/**
 * What the page tells the Service Worker, through Cache Storage (a Service Worker can be stopped and restarted at
 * any time, losing its memory; the cache outlives it and works offline). The prefixes also travel in the worker's
 * script URL, because a fetch event must be claimed synchronously, before any cache could be read.
 */
import type { Policy } from '../../core/index.js';

export const CONFIG_CACHE = 'model-verify-config';
/** Verified files, keyed by their signed digests (cacheKey). */
export const FILE_CACHE = 'model-verify-files';
export const PREFIXES_PARAM = 'model-verify-prefixes';

export interface VerifierConfig {
  /** URL prefixes (model folders, mirrors of one model) whose requests are verified. */
  prefixes: string[];
  /** The signature's JSON text (fetched by the page at registration, so the worker needs no network for it). */
  signature: string;
  policy: Policy;
}

/** Where one configuration is kept: one per set of prefixes, so several models can be registered side by side. */
export function configKey(prefixes: readonly string[]): string {
  return `https://model-verify.invalid/config?prefixes=${encodeURIComponent(JSON.stringify([...prefixes].sort()))}`;
}

/** Normalised absolute prefixes (a folder prefix keeps its trailing slash). */
export function absolutePrefixes(prefixes: readonly (string | URL)[], base: string): string[] {
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new TypeError('registerModelVerifier needs at least one URL prefix');
  return prefixes.map((p) => new URL(p, base).href);
}
