/**
 * The API's policy shape (`{method, publicKey? | certificateChain? | identity?, identityRegexp?, issuer, claims?}`)
 * → core's Policy. Core's parsePolicy decides what is valid (the same reading verification does), so a
 * policy that would make every verdict fail is a 400 at PUT, never a stored policy.
 */
import { publicKeyFromPem } from '../core/crypto/index.js';
import { isModelVerifyError } from '../core/index.js';
import { parsePolicy as parseCorePolicy, type PolicyField } from '../core/policy/index.js';
import type { Policy } from '../core/policy/index.js';
import { sha256, toHex, utf8Encode } from '../core/util/index.js';
import { certificatesFromPem } from '../core/x509/index.js';
import { HttpError, isRecord } from './http.js';

export interface ApiPolicy {
  method: 'key' | 'certificate' | 'sigstore';
  publicKey?: string;
  /** A name for the key shown in reports instead of its fingerprint (a label, never checked). */
  keyName?: string;
  certificateChain?: string[];
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  claims?: Record<string, string>;
}

/** Messages name the API's own fields; the API calls core's `anchors` `certificateChain`. */
const API_NAMES: Record<PolicyField, string> = {
  method: 'policy.method',
  publicKey: 'policy.publicKey',
  keyName: 'policy.keyName',
  anchors: 'policy.certificateChain',
  timestampAuthorities: 'policy.timestampAuthorities',
  identity: 'policy.identity',
  identityRegexp: 'policy.identityRegexp',
  issuer: 'policy.issuer',
  claims: 'policy.claims',
};

function refuse(e: unknown, context = ''): never {
  if (isModelVerifyError(e)) throw new HttpError(400, e.code, `${context}${e.message}`);
  throw e;
}

/**
 * Validates and normalises (fixed key order, chain as a list, claims sorted) so equal policies have equal
 * digests, and stores only what core verifies: nothing the caller sent is silently dropped.
 */
export function parsePolicy(raw: unknown): ApiPolicy {
  let input: unknown = raw;
  if (isRecord(raw)) {
    const { certificateChain, ...rest } = raw;
    // `anchors` is core's name, not this API's: refused as an unknown field rather than taken silently.
    if (rest.anchors !== undefined)
      throw new HttpError(400, 'POLICY_INVALID', `Unknown field "anchors" in the policy: this API takes the trusted certificates as policy.certificateChain`);
    // A single PEM text (which may hold several certificates) is accepted for a one-entry chain.
    input = certificateChain === undefined ? rest : { ...rest, anchors: typeof certificateChain === 'string' ? [certificateChain] : certificateChain };
  }
  let p: Policy;
  try {
    p = parseCorePolicy(input, { names: API_NAMES });
  } catch (e) {
    refuse(e);
  }
  switch (p.method) {
    case 'key':
      // Beyond core's PEM-structure check: the key must parse, or every verdict would be KEY_MALFORMED.
      try {
        publicKeyFromPem(p.publicKey);
      } catch (e) {
        refuse(e, 'policy.publicKey is unusable: ');
      }
      return p.keyName ? { method: 'key', publicKey: p.publicKey, keyName: p.keyName } : { method: 'key', publicKey: p.publicKey };
    case 'certificate':
      try {
        certificatesFromPem(p.anchors);
      } catch (e) {
        refuse(e, 'policy.certificateChain is unusable: ');
      }
      return { method: 'certificate', certificateChain: p.anchors };
    case 'sigstore': {
      const claims = p.claims && Object.fromEntries(Object.entries(p.claims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      return {
        method: 'sigstore',
        ...(p.identity !== undefined ? { identity: p.identity } : {}),
        ...(p.identityRegexp !== undefined ? { identityRegexp: p.identityRegexp } : {}),
        issuer: p.issuer,
        ...(claims ? { claims } : {}),
      };
    }
  }
}

/** A stored policy → core's Policy (verifySignature reads it through parsePolicy again). */
export function corePolicy(p: ApiPolicy): Policy {
  switch (p.method) {
    case 'key':
      return { method: 'key', publicKey: p.publicKey!, ...(p.keyName ? { keyName: p.keyName } : {}) };
    case 'certificate':
      return { method: 'certificate', anchors: p.certificateChain! };
    case 'sigstore':
      return {
        method: 'sigstore',
        ...(p.identity !== undefined ? { identity: p.identity } : {}),
        ...(p.identityRegexp !== undefined ? { identityRegexp: p.identityRegexp } : {}),
        issuer: p.issuer!,
        ...(p.claims ? { claims: p.claims } : {}),
      };
  }
}

export async function policyDigest(p: ApiPolicy): Promise<string> {
  return toHex(await sha256(utf8Encode(JSON.stringify(p))));
}
