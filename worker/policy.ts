/**
 * The API's policy shape (`{method, identity?, issuer?, identityRegexp?, publicKey?, certificateChain?}`)
 * → core's Policy. Shape and key material are checked here so a bad policy is a 400, not a failed verdict.
 */
import { publicKeyFromPem } from '../core/crypto/keys.js';
import { isModelVerifyError } from '../core/errors.js';
import type { Policy } from '../core/policy/types.js';
import { sha256, toHex, utf8Encode } from '../core/util/bytes.js';
import { certificatesFromPem } from '../core/verify/envelope.js';
import { HttpError, isRecord } from './http.js';

export interface ApiPolicy {
  method: 'key' | 'certificate' | 'sigstore';
  publicKey?: string;
  certificateChain?: string[];
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
}

const MAX_PEM = 256 * 1024;
const MAX_IDENTITY = 4096;

function bad(message: string): never {
  throw new HttpError(400, 'POLICY_INVALID', message);
}

function optString(o: Record<string, unknown>, k: string, max: number): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) bad(`policy.${k} must be a non-empty string of at most ${max} characters`);
  return v;
}

/** Validates and normalises (fixed key order, chain as a list) so equal policies have equal digests. */
export function parsePolicy(raw: unknown): ApiPolicy {
  if (!isRecord(raw)) bad('policy must be an object');
  const method = raw.method;
  switch (method) {
    case 'key': {
      const publicKey = optString(raw, 'publicKey', MAX_PEM) ?? bad('A key policy needs publicKey (PEM)');
      keyCheck(() => publicKeyFromPem(publicKey));
      return { method, publicKey };
    }
    case 'certificate': {
      const c = raw.certificateChain;
      const chain = typeof c === 'string' ? [c] : Array.isArray(c) ? c : bad('A certificate policy needs certificateChain (PEM text or a list of PEM texts)');
      if (chain.length === 0 || chain.length > 16 || !chain.every((p) => typeof p === 'string' && p.length > 0 && p.length <= MAX_PEM)) {
        bad('policy.certificateChain must hold 1-16 PEM texts');
      }
      const anchors = keyCheck(() => certificatesFromPem(chain as string[]));
      if (anchors.length === 0) bad('policy.certificateChain holds no certificate');
      return { method, certificateChain: chain as string[] };
    }
    case 'sigstore': {
      const issuer = optString(raw, 'issuer', MAX_IDENTITY) ?? bad('A sigstore policy needs issuer');
      const identity = optString(raw, 'identity', MAX_IDENTITY);
      const identityRegexp = optString(raw, 'identityRegexp', MAX_IDENTITY);
      if ((identity === undefined) === (identityRegexp === undefined)) bad('A sigstore policy needs exactly one of identity and identityRegexp');
      if (identityRegexp !== undefined) {
        try {
          new RegExp(identityRegexp);
        } catch {
          bad('policy.identityRegexp is not a valid regular expression');
        }
      }
      return identity !== undefined ? { method, identity, issuer } : { method, identityRegexp: identityRegexp!, issuer };
    }
    default:
      bad(`policy.method must be 'key', 'certificate' or 'sigstore'`);
  }
}

function keyCheck<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isModelVerifyError(e)) throw new HttpError(400, 'POLICY_INVALID', `The policy's key material is unusable: ${e.message}`);
    throw e;
  }
}

export function corePolicy(p: ApiPolicy): Policy {
  switch (p.method) {
    case 'key':
      return { method: 'key', publicKey: p.publicKey! };
    case 'certificate':
      return { method: 'certificate', anchors: p.certificateChain! };
    case 'sigstore':
      return p.identity !== undefined
        ? { method: 'sigstore', identity: p.identity, issuer: p.issuer! }
        : { method: 'sigstore', identityRegexp: p.identityRegexp!, issuer: p.issuer! };
  }
}

export async function policyDigest(p: ApiPolicy): Promise<string> {
  return toHex(await sha256(utf8Encode(JSON.stringify(p))));
}
