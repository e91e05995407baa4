/**
 * Which verification method a bundle needs, read from its verification material alone (no X.509 parsing, so key
 * verification can use it without loading pkijs). It decides nothing about trust: it only lets every wrong-method
 * message name the method that would apply, and lets `inspectSignature` pick which checks to run.
 */
import type { Method } from '../policy/types.js';
import type { Bundle } from './types.js';

/**
 * - a public-key hint (or none: pre-1.1 key signers) → `key`;
 * - one certificate (v0.3 keyless layout), or a chain together with log entries (v0.1/v0.2 keyless) → `sigstore`;
 * - a chain without log entries → `certificate` (the OMS certificate layout: no log is involved).
 */
export function bundleMethod(bundle: Bundle): Method {
  const m = bundle.material;
  if (m.kind === 'publicKey') return 'key';
  if (m.kind === 'certificate') return 'sigstore';
  return bundle.tlogEntries.length > 0 ? 'sigstore' : 'certificate';
}

const MADE_WITH: Record<Method, string> = {
  key: "This signature was made with a bare public key: verify it with the key method (--public-key and the signer's public key)",
  certificate:
    'This signature was made with an X.509 certificate chain: verify it with the certificate method (--certificate-chain and the CA certificate you trust)',
  sigstore: 'This signature was made with a Sigstore identity: verify it with the sigstore method (--identity or --identity-regexp, and --identity-provider)',
};

/** The sentence every wrong-method error ends with: what the bundle was made with and the method (and flags) it needs. */
export function methodAdvice(method: Method): string {
  return MADE_WITH[method];
}

/** `methodAdvice` for this bundle. */
export function wrongMethodMessage(bundle: Bundle): string {
  return methodAdvice(bundleMethod(bundle));
}
