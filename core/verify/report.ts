/**
 * The verification report: what every shell emits (CLI `--json`, the Worker's model state, the element's
 * `verify-result` event). It is a public, versioned format described by report.schema.json at the repository
 * root; a change that removes or retypes a field is a new mediaType version.
 */
import { toModelVerifyError, type ErrorCode } from '../errors.js';
import type { ResourceResult } from '../manifest/compare.js';
import type { CertSummary } from '../x509/certificate.js';

/** Names this format and its version, so a consumer can tell a report from any other JSON and pick its schema. */
export const REPORT_MEDIA_TYPE = 'application/vnd.model-verify.report.v1+json';

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

/** Which PAE the signature verified over ('compat' = the v0.2.0 signer's encoding). */
export type PaeEncoding = 'standard' | 'compat';

/** A signature made with a bare public key. */
export interface KeySignerSummary {
  method: 'key';
  /** SHA-256 (hex) of the supplied key's PEM: the hint OMS signers record in the bundle. */
  keyHint: string;
  /** The name the policy gave this key (Policy keyName), when it gave one. */
  keyName?: string;
  /** True when the signature has no key hint (pre-1.1 signers): the supplied key was used unconditionally. */
  legacyKeyMaterial: boolean;
  pae: PaeEncoding;
}

/** A signature made with an X.509 certificate that chains to a supplied trust anchor. */
export interface CertificateSignerSummary {
  method: 'certificate';
  /** The signing (leaf) certificate; also chain[0]. */
  certificate: CertSummary;
  /** The verified path, leaf first, ending at the trust anchor. */
  chain: CertSummary[];
  pae: PaeEncoding;
  /** The verified RFC 3161 times, when the policy named a timestamp authority: the chain was checked at the first. */
  timestamps?: TimeSummary[];
}

/** A keyless signature: a Fulcio certificate for an identity, logged in a transparency log. */
export interface SigstoreSignerSummary {
  method: 'sigstore';
  /** The certificate identity (SAN) that matched the policy. */
  identity: string;
  /** The OIDC issuer (always equal to the policy's: a different one fails verification). */
  issuer: string;
  /** Fulcio claims (CI provenance) the certificate carries, by name. */
  claims?: Record<string, string>;
  certificate: CertSummary;
  chain: CertSummary[];
  log: LogSummary;
  /** The verified times the certificate was checked at (at least one). */
  timestamps: TimeSummary[];
}

/** Who signed, narrowed by `method`: each method carries only the evidence it has. */
export type SignerSummary = KeySignerSummary | CertificateSignerSummary | SigstoreSignerSummary;

/**
 * A remote's own record of the signed files (the Hub's LFS sha256 values), compared with the signature before any
 * byte is fetched. Separate from the verdict: `verified` is only ever decided by hashing.
 */
export interface RemoteClaim {
  /** Which remote made the claim ('hf' = the Hugging Face Hub's tree listing). */
  by: string;
  /** match: every comparable signed file is recorded with the signed digest; mismatch: some are not; unavailable: none comparable. */
  status: 'match' | 'mismatch' | 'unavailable';
  /** Signed files whose digest the remote records. */
  checked: number;
  /** Signed files the remote records no comparable digest for. */
  unrecorded: number;
  /** Files recorded with another digest than the signed one (at most 100 listed). */
  differ: { name: string; signed: string; remote: string }[];
  /** One line for people. */
  summary: string;
}

export interface VerificationReport {
  mediaType: typeof REPORT_MEDIA_TYPE;
  verified: boolean;
  /** Empty when verified. The first entry is the main reason. */
  errors: ReportError[];
  warnings: string[];
  model: {
    name: string;
    source?: string;
    listable: boolean;
    /** Remote sources pinned to a revision (hf://): the revision asked for and the commit everything was read at. */
    revision?: { requested: string; commit: string };
    /** What the remote itself records about the signed files, compared before download: its claim, not our verdict. */
    remoteClaim?: RemoteClaim;
  };
  signer?: SignerSummary;
  statement?: { subjectName: string; rootDigest: string | null; predicateType: string };
  serialization?: { method: 'files' | 'shards'; hashType: string; shardSize?: number; ignorePaths: string[] };
  resources: ResourceResult[];
  bytesHashed: number;
  millis: number;
  hashBackend?: string;
  trustRoot?: TrustRootInfo;
}

/** Which Sigstore trust root a keyless verification used, and how current it is. */
export interface TrustRootInfo {
  /** For people: "Sigstore public-good production (…)", a file name, a TUF repository. */
  source: string;
  /** Newest validity start in the root (YYYY-MM-DD): the date its trust material is current as of. */
  date?: string;
  /**
   * How it was obtained: `tuf` refreshed from the repository in this run, `cache` TUF metadata cached by an
   * earlier run (no network used), `embedded` the snapshot built in, `file` given by the user.
   */
  origin?: 'tuf' | 'cache' | 'embedded' | 'file';
  /** The TUF repository it came from (tuf, cache, embedded). */
  repository?: string;
  /** Version of the TUF root metadata that vouched for it. */
  tufRootVersion?: number;
  /** When TUF metadata for it was last fetched and verified from the repository (RFC 3339), when known. */
  checkedAt?: string;
  /** When the TUF metadata vouching for it expires (the earliest of timestamp, snapshot, targets; RFC 3339). */
  expires?: string;
}

/** A report with nothing established yet (not verified, no errors): where verifyModel starts. */
export function emptyReport(model: VerificationReport['model']): VerificationReport {
  return { mediaType: REPORT_MEDIA_TYPE, verified: false, errors: [], warnings: [], model, resources: [], bytesHashed: 0, millis: 0 };
}

/** The report of a run that failed before it could verify anything (shells: bad inputs, a source that would not open). */
export function failedReport(e: unknown, model: VerificationReport['model'], millis = 0): VerificationReport {
  return { ...emptyReport(model), errors: [toModelVerifyError(e).toJSON()], millis };
}
