/** Keyless (Sigstore) verification entry point used by core/verify. */
import type { Bundle } from '../bundle/types.js';
import type { Policy } from '../policy/types.js';
import type { SigstoreSignerSummary } from '../verify/report.js';
import { EMBEDDED_ROOT_DATE, EMBEDDED_ROOT_SOURCE, EMBEDDED_TRUSTED_ROOT } from './embedded-root.generated.js';
import { parseTrustRoot, TrustRoot } from './trust-root.js';
import { inspectSigstoreBundle, verifySigstoreBundle, type SigstoreClaims } from './verify-bundle.js';

export { TrustRoot, parseTrustRoot, within } from './trust-root.js';
export { verifySigstoreBundle, type SigstoreClaims, type SignerPolicy, type BundleVerification, type SigstoreKeyEvidence } from './verify-bundle.js';
export type { Artifact } from './signature.js';

export interface SigstoreOptions {
  /**
   * Trust material: a parsed TrustRoot, or TrustedRoot / ClientTrustConfig JSON. The production root
   * embedded at build time is used when absent.
   */
  trustedRoot?: unknown;
  signal?: AbortSignal;
}

export interface SigstoreResult {
  signer: SigstoreSignerSummary;
  warnings: string[];
  trustRoot?: { source: string; date?: string };
}

let embedded: TrustRoot | undefined;

/** The public-good production root from @sigstore/tuf's seeds.json (parsed once). */
export function embeddedTrustRoot(): TrustRoot {
  embedded ??= parseTrustRoot(EMBEDDED_TRUSTED_ROOT, EMBEDDED_ROOT_SOURCE, EMBEDDED_ROOT_DATE);
  return embedded;
}

export function resolveTrustRoot(input: unknown): TrustRoot {
  if (input === undefined || input === null) return embeddedTrustRoot();
  if (input instanceof TrustRoot) return input;
  return parseTrustRoot(input, 'custom trusted root');
}

export async function verifySigstoreSignature(bundle: Bundle, policy: Extract<Policy, { method: 'sigstore' }>, opts: SigstoreOptions): Promise<SigstoreResult> {
  const trust = resolveTrustRoot(opts.trustedRoot);
  opts.signal?.throwIfAborted();
  const { signer, warnings } = await verifySigstoreBundle(bundle, { kind: 'identity', policy }, trust);
  const trustRoot = trust.date ? { source: trust.source, date: trust.date } : { source: trust.source };
  return { signer, warnings, trustRoot };
}
/**
 * The claimed signer of a keyless bundle after every check but the identity policy (core/verify/inspect.ts).
 * Not a verification: the result says who the certificate names, not that anyone required them.
 */
export async function inspectSigstoreSignature(
  bundle: Bundle,
  opts: SigstoreOptions,
): Promise<{ claims: SigstoreClaims; trustRoot: { source: string; date?: string } }> {
  const trust = resolveTrustRoot(opts.trustedRoot);
  opts.signal?.throwIfAborted();
  const claims = await inspectSigstoreBundle(bundle, trust);
  return { claims, trustRoot: trust.date ? { source: trust.source, date: trust.date } : { source: trust.source } };
}
export { EMBEDDED_ROOT_DATE } from './embedded-root.generated.js';
