import type { ErrorCode } from '../errors.js';
import type { ResourceResult } from '../manifest/compare.js';
import type { CertSummary } from '../x509/certificate.js';

export interface ReportError {
  code: ErrorCode;
  message: string;
  resource?: string;
}

export interface LogSummary {
  logIndex: string;
  logId: string;
  integratedTime?: string;
  kind: string;
  url?: string;
}

export interface TimeSummary {
  source: 'rfc3161' | 'tlog';
  time: string;
  authority?: string;
}

export interface SignerSummary {
  method: 'key' | 'certificate' | 'sigstore';
  keyHint?: string;
  /** True when the signature has no key hint (pre-1.1 signers): the supplied key was used unconditionally. */
  legacyKeyMaterial?: boolean;
  identity?: string;
  issuer?: string;
  claims?: Record<string, string>;
  certificate?: CertSummary;
  chain?: CertSummary[];
  log?: LogSummary;
  timestamps?: TimeSummary[];
  /** Which PAE the signature verified over ('compat' = the v0.2.0 signer's encoding). */
  pae?: 'standard' | 'compat';
}

export interface VerificationReport {
  verified: boolean;
  /** Empty when verified. The first entry is the main reason. */
  errors: ReportError[];
  warnings: string[];
  model: { name: string; source?: string; listable: boolean };
  signer?: SignerSummary;
  statement?: { subjectName: string; rootDigest: string | null; predicateType: string };
  serialization?: { method: 'files' | 'shards'; hashType: string; shardSize?: number; ignorePaths: string[] };
  resources: ResourceResult[];
  bytesHashed: number;
  millis: number;
  hashBackend?: string;
  trustRoot?: { source: string; date?: string };
}
