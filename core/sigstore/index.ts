/** Keyless (Sigstore) verification entry point used by core/verify. */
import type { Bundle } from '../bundle/types.js';
import { fail } from '../errors.js';
import type { Policy } from '../policy/types.js';
import type { SignerSummary } from '../verify/report.js';

export interface SigstoreOptions {
  /** Parsed TrustedRoot JSON (production root embedded by the caller when absent). */
  trustedRoot?: unknown;
  signal?: AbortSignal;
}

export interface SigstoreResult {
  signer: SignerSummary;
  warnings: string[];
  trustRoot?: { source: string; date?: string };
}

export async function verifySigstoreSignature(_bundle: Bundle, _policy: Extract<Policy, { method: 'sigstore' }>, _opts: SigstoreOptions): Promise<SigstoreResult> {
  fail('UNSUPPORTED', 'Keyless (Sigstore) verification is not available in this build');
}
