/** Alternative trust roots derived from the embedded production root (real keys, rearranged). */
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function productionRootJson(): Json {
  return JSON.parse(JSON.stringify(EMBEDDED_TRUSTED_ROOT));
}

/** Named "other roots": each must make the production goldens fail. */
export const OTHER_ROOTS: Record<string, { root: () => Json; code: string }> = {
  // Rekor v1's logId kept but its key replaced by another real P-256 key (the CT log's).
  'Rekor key replaced': {
    root: () => {
      const r = productionRootJson();
      r.tlogs[0].publicKey.rawBytes = r.ctlogs[1].publicKey.rawBytes;
      return r;
    },
    code: 'TLOG_SET_INVALID',
  },
  'Rekor log missing': {
    root: () => {
      const r = productionRootJson();
      r.tlogs = r.tlogs.slice(1);
      return r;
    },
    code: 'TLOG_SET_INVALID',
  },
  'Fulcio CA missing': {
    root: () => {
      const r = productionRootJson();
      r.certificateAuthorities = r.certificateAuthorities.slice(0, 1);
      return r;
    },
    code: 'CERT_CHAIN_UNTRUSTED',
  },
  'Fulcio CA validity ended before signing': {
    root: () => {
      const r = productionRootJson();
      r.certificateAuthorities[1].validFor.end = '2024-01-01T00:00:00Z';
      return r;
    },
    code: 'CERT_CHAIN_UNTRUSTED',
  },
  'CT log key replaced': {
    root: () => {
      const r = productionRootJson();
      r.ctlogs[1].publicKey.rawBytes = r.tlogs[0].publicKey.rawBytes;
      return r;
    },
    code: 'SCT_INVALID',
  },
  // Fulcio's root CA where only the intermediate should be: a different (self-signed) anchor.
  'intermediate missing': {
    root: () => {
      const r = productionRootJson();
      r.certificateAuthorities[1].certChain.certificates = r.certificateAuthorities[1].certChain.certificates.slice(1);
      return r;
    },
    code: 'CERT_CHAIN_UNTRUSTED',
  },
};
