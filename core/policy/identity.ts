/** Keyless identity policy: exact issuer, exact identity and/or an anchored regular expression, exact claims. */
import { fail } from '../errors.js';
import { parsePolicy } from './parse.js';
import { compileIdentityRegexp } from './regexp.js';
import type { Policy } from './types.js';

export type SigstorePolicy = Extract<Policy, { method: 'sigstore' }>;

export interface SignerIdentity {
  sans: string[];
  issuer?: string;
  claims: Record<string, string>;
}

/** The policy as parsePolicy reads it (the same rules every shell's input went through) and its pattern. */
function checked(p: SigstorePolicy): { policy: SigstorePolicy; re?: RegExp } {
  const policy = parsePolicy(p);
  if (policy.method !== 'sigstore') fail('POLICY_INVALID', `Keyless verification needs a sigstore policy, not a ${policy.method} policy`);
  return policy.identityRegexp === undefined ? { policy } : { policy, re: compileIdentityRegexp(policy.identityRegexp) };
}

/** Refuses policies that would accept any signer; returns the compiled identity regexp, if any. */
export function checkPolicyShape(p: SigstorePolicy): RegExp | undefined {
  return checked(p).re;
}

export function matchIdentity(p: SigstorePolicy, who: SignerIdentity): string {
  const { policy, re } = checked(p);
  if (who.issuer !== policy.issuer) {
    fail('ISSUER_MISMATCH', `Certificate's OIDCIssuer does not match (got '${who.issuer ?? ''}', expected '${policy.issuer}')`);
  }
  let identity: string | undefined;
  if (policy.identity !== undefined) {
    identity = who.sans.find((s) => s === policy.identity);
    if (identity === undefined) fail('IDENTITY_MISMATCH', `Certificate's SANs do not match ${policy.identity}; actual SANs: {${who.sans.join(', ')}}`);
  }
  if (re) {
    const m = who.sans.find((s) => re.test(s));
    if (m === undefined) fail('IDENTITY_MISMATCH', `Certificate's SANs do not match /${policy.identityRegexp}/; actual SANs: {${who.sans.join(', ')}}`);
    identity ??= m;
  }
  for (const [k, v] of Object.entries(policy.claims ?? {})) {
    // Own properties only: a claim named like an Object.prototype member must not match its inherited value.
    const got = Object.hasOwn(who.claims, k) ? who.claims[k] : undefined;
    if (got !== v) fail('CLAIM_MISMATCH', `Certificate claim ${k} does not match (got '${got ?? ''}', expected '${v}')`);
  }
  return identity!;
}
