/** Keyless identity policy: exact issuer, exact identity and/or an anchored regular expression, exact claims. */
import { fail } from '../errors.js';
import { clip } from '../util/json.js';
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

/** A certificate value inside a message: quoted and clipped (the CLI strips control characters on output). */
const quote = (v: string) => `'${clip(v, 200)}'`;

/** Who the certificate names, for "signed by X; you required Y" (Fulcio issues one SAN; more are listed, bounded). */
function signedBy(who: SignerIdentity): string {
  if (who.sans.length === 0) return 'a certificate that names no identity';
  const shown = who.sans.slice(0, 5).map(quote).join(' and ');
  return who.sans.length > 5 ? `${shown} (and ${who.sans.length - 5} more)` : shown;
}

// Messages read "signed by X; you required Y": what the signature says next to what the policy asked, so a
// mismatch can be told from a forgery without knowing certificate fields.
export function matchIdentity(p: SigstorePolicy, who: SignerIdentity): string {
  const { policy, re } = checked(p);
  if (who.issuer !== policy.issuer) {
    const got = who.issuer === undefined ? 'no identity provider' : `identity provider ${quote(who.issuer)}`;
    fail('ISSUER_MISMATCH', `Signed by ${signedBy(who)} through ${got}; you required identity provider ${quote(policy.issuer)}`);
  }
  let identity: string | undefined;
  if (policy.identity !== undefined) {
    identity = who.sans.find((s) => s === policy.identity);
    if (identity === undefined) fail('IDENTITY_MISMATCH', `Signed by ${signedBy(who)}; you required ${quote(policy.identity)}`);
  }
  if (re) {
    const m = who.sans.find((s) => re.test(s));
    if (m === undefined) fail('IDENTITY_MISMATCH', `Signed by ${signedBy(who)}; you required an identity matching /${clip(policy.identityRegexp!, 200)}/`);
    identity ??= m;
  }
  for (const [k, v] of Object.entries(policy.claims ?? {})) {
    // Own properties only: a claim named like an Object.prototype member must not match its inherited value.
    const got = Object.hasOwn(who.claims, k) ? who.claims[k] : undefined;
    if (got !== v) {
      fail('CLAIM_MISMATCH', `Signed by ${signedBy(who)} with ${clip(k, 200)} ${got === undefined ? 'not set' : quote(got)}; you required ${quote(v)}`);
    }
  }
  return identity!;
}
