/** Keyless (Sigstore) verification entry point used by core/verify. */
import type { Bundle } from '../bundle/types.js';
import type { Policy } from '../policy/types.js';
import type { SigstoreSignerSummary, TrustRootInfo } from '../verify/report.js';
import {
  EMBEDDED_ROOT_DATE,
  EMBEDDED_ROOT_REPOSITORY,
  EMBEDDED_ROOT_SOURCE,
  EMBEDDED_ROOT_TUF_VERSION,
  EMBEDDED_TRUSTED_ROOT,
} from './embedded-root.generated.js';
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
  trustRoot?: TrustRootInfo;
}

let embedded: TrustRoot | undefined;

/** The public-good production root from @sigstore/tuf's seeds.json (parsed once). */
export function embeddedTrustRoot(): TrustRoot {
  if (!embedded) {
    embedded = parseTrustRoot(EMBEDDED_TRUSTED_ROOT, EMBEDDED_ROOT_SOURCE, EMBEDDED_ROOT_DATE);
    embedded.provenance = { origin: 'embedded', repository: EMBEDDED_ROOT_REPOSITORY, tufRootVersion: EMBEDDED_ROOT_TUF_VERSION };
  }
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
  return { signer, warnings, trustRoot: trust.info() };
}
/**
 * The claimed signer of a keyless bundle after every check but the identity policy (core/verify/inspect.ts).
 * Not a verification: the result says who the certificate names, not that anyone required them.
 */
export async function inspectSigstoreSignature(bundle: Bundle, opts: SigstoreOptions): Promise<{ claims: SigstoreClaims; trustRoot: TrustRootInfo }> {
  const trust = resolveTrustRoot(opts.trustedRoot);
  opts.signal?.throwIfAborted();
  const claims = await inspectSigstoreBundle(bundle, trust);
  return { claims, trustRoot: trust.info() };
}
export { EMBEDDED_ROOT_DATE } from './embedded-root.generated.js';
export { SIGSTORE_PRODUCTION_TUF, SIGSTORE_STAGING_TUF_URL, type KnownTufRepository } from './tuf-roots.generated.js';
