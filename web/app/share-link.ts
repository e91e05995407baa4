/**
 * Shareable links to a check of a model by URL: `#verify?model=…&method=…&identity=…`. The settings travel in the
 * fragment, so they never reach a server's logs; opening the link fills the form with them (every one visible)
 * and runs the check again in the reader's browser — a link carries settings, never a verdict.
 */
import type { Policy } from '../../core/policy/index.js';

export interface ShareFields {
  modelUrl: string;
  signatureUrl: string;
  method: Policy['method'];
  identity: string;
  identityRegexp: string;
  issuer: string;
  publicKey: string;
  publicKeyName: string;
  certificateChain: string;
  ignoreText: string;
  ignoreUnsigned: boolean;
}

/** Longest value a link carries per field (a PEM key fits; a long CA chain does not, and is left out). */
const MAX_VALUE: Record<Exclude<keyof ShareFields, 'ignoreUnsigned' | 'method'>, number> = {
  modelUrl: 2048,
  signatureUrl: 2048,
  identity: 1024,
  identityRegexp: 1024,
  issuer: 1024,
  publicKey: 4096,
  publicKeyName: 128,
  certificateChain: 8192,
  ignoreText: 2048,
};

/** Which fields each method's check needs (the others are not put in the link). */
const METHOD_FIELDS: Record<Policy['method'], (keyof typeof MAX_VALUE)[]> = {
  key: ['publicKey', 'publicKeyName'],
  certificate: ['certificateChain'],
  sigstore: ['identity', 'identityRegexp', 'issuer'],
};

/** Query names in the link (short, stable: links outlive releases). */
const PARAM: Record<keyof ShareFields, string> = {
  modelUrl: 'model',
  signatureUrl: 'signature',
  method: 'method',
  identity: 'identity',
  identityRegexp: 'identity-regexp',
  issuer: 'issuer',
  publicKey: 'public-key',
  publicKeyName: 'key-name',
  certificateChain: 'certificate-chain',
  ignoreText: 'ignore',
  ignoreUnsigned: 'ignore-unsigned',
};

const LABEL: Partial<Record<keyof ShareFields, string>> = { publicKey: 'the public key', certificateChain: 'the CA certificates' };

/** The link for these settings, and what it had to leave out (too long for a link). */
export function shareLink(base: string, f: ShareFields): { href: string; omitted: string[] } {
  const q = new URLSearchParams();
  const omitted: string[] = [];
  const put = (k: keyof typeof MAX_VALUE) => {
    const v = f[k].trim();
    if (!v) return;
    if (v.length > MAX_VALUE[k]) omitted.push(LABEL[k] ?? PARAM[k]);
    else q.set(PARAM[k], v);
  };
  put('modelUrl');
  put('signatureUrl');
  q.set(PARAM.method, f.method);
  for (const k of METHOD_FIELDS[f.method]) put(k);
  put('ignoreText');
  if (f.ignoreUnsigned) q.set(PARAM.ignoreUnsigned, '1');
  const url = new URL(base);
  url.search = '';
  url.hash = `verify?${q.toString()}`;
  return { href: url.href, omitted };
}

/**
 * The settings a `#verify?…` fragment carries, or null when it carries none (a plain `#verify`, `#sign`, no
 * fragment). Hostile input: an unknown method makes the link unusable (null); over-long values are dropped,
 * never cut (a clipped key or identity would check something else); unknown names are ignored.
 */
export function readShareLink(hash: string): Partial<ShareFields> | null {
  const m = /^#\/?verify\?(.*)$/s.exec(hash);
  if (!m || m[1]!.length > 32_768) return null;
  const q = new URLSearchParams(m[1]);
  const method = q.get(PARAM.method);
  if (method !== 'key' && method !== 'certificate' && method !== 'sigstore') return null;
  const out: Partial<ShareFields> = { method };
  for (const k of Object.keys(MAX_VALUE) as (keyof typeof MAX_VALUE)[]) {
    const v = q.get(PARAM[k]);
    if (v !== null && v.length <= MAX_VALUE[k]) out[k] = v;
  }
  if (!out.modelUrl || !/^https?:\/\//i.test(out.modelUrl)) return null;
  if (out.signatureUrl && !/^https?:\/\//i.test(out.signatureUrl)) delete out.signatureUrl;
  if (q.get(PARAM.ignoreUnsigned) === '1') out.ignoreUnsigned = true;
  return out;
}
