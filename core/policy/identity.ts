/** Keyless identity policy: exact issuer, exact identity or an anchored regular expression, exact claims. */
import { fail } from '../errors.js';
import type { Policy } from './types.js';

export type SigstorePolicy = Extract<Policy, { method: 'sigstore' }>;

export interface SignerIdentity {
  sans: string[];
  issuer?: string;
  claims: Record<string, string>;
}

/** Refuses policies that would accept any signer; returns the compiled identity regexp, if any. */
export function checkPolicyShape(p: SigstorePolicy): RegExp | undefined {
  if (typeof p.issuer !== 'string' || p.issuer === '') fail('POLICY_INVALID', 'Keyless verification needs the expected OIDC issuer (--identity-provider)');
  const hasId = typeof p.identity === 'string' && p.identity !== '';
  const hasRe = typeof p.identityRegexp === 'string' && p.identityRegexp !== '';
  if (!hasId && !hasRe) fail('POLICY_INVALID', 'Keyless verification needs an expected identity (--identity or --identity-regexp): refusing to accept any signer');
  if (p.claims !== undefined && (typeof p.claims !== 'object' || p.claims === null)) fail('POLICY_INVALID', 'Policy claims must be an object of strings');
  if (!hasRe) return undefined;
  try {
    // Anchored like cosign's --certificate-identity-regexp; the group keeps alternations inside the anchors.
    return new RegExp(`^(?:${p.identityRegexp})$`, 'u');
  } catch (e) {
    fail('POLICY_INVALID', `Invalid identity regular expression: ${(e as Error).message}`);
  }
}

export function matchIdentity(p: SigstorePolicy, who: SignerIdentity): string {
  const re = checkPolicyShape(p);
  if (who.issuer !== p.issuer) {
    fail('ISSUER_MISMATCH', `Certificate's OIDCIssuer does not match (got '${who.issuer ?? ''}', expected '${p.issuer}')`);
  }
  let identity: string | undefined;
  if (p.identity) {
    identity = who.sans.find((s) => s === p.identity);
    if (identity === undefined) fail('IDENTITY_MISMATCH', `Certificate's SANs do not match ${p.identity}; actual SANs: {${who.sans.join(', ')}}`);
  }
  if (re) {
    const m = who.sans.find((s) => re.test(s));
    if (m === undefined) fail('IDENTITY_MISMATCH', `Certificate's SANs do not match /${p.identityRegexp}/; actual SANs: {${who.sans.join(', ')}}`);
    identity ??= m;
  }
  for (const [k, v] of Object.entries(p.claims ?? {})) {
    if (typeof v !== 'string') fail('POLICY_INVALID', `Policy claim ${k} must be a string`);
    if (who.claims[k] !== v) fail('CLAIM_MISMATCH', `Certificate claim ${k} does not match (got '${who.claims[k] ?? ''}', expected '${v}')`);
  }
  return identity!;
}
