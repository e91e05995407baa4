/**
 * What the app and the element share around core's verifyModel: policy from form/attribute values, the
 * hash backend for this browser, live throughput, and people-readable outcomes. Never a second verifier.
 */
import type { ErrorCode } from '../core/index.js';
import { formatBytes } from '../core/util/index.js';
import type { HashBackend, Progress } from '../core/hash/index.js';
import { parsePolicy, type ParsePolicyOptions } from '../core/policy/index.js';
import type { Policy } from '../core/policy/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { verifyModel } from '../core/verify/index.js';
import { failedReport, type VerificationReport } from '../core/verify/index.js';
import { browserHashBackend } from '../browser/serial-backend.js';

export type { VerificationReport, Policy };

export interface PolicyFields {
  method: Policy['method'] | '';
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  /** PEM text of the signer's public key. */
  publicKey?: string;
  /** A name for that key shown instead of its fingerprint (the loaded file's name, the element's key-name). */
  keyName?: string;
  /** PEM text of one or more trusted CA certificates. */
  certificateChain?: string;
  /** Fulcio claims that must match exactly (a Worker policy may carry them; the form has no field for them). */
  claims?: unknown;
}

/** How the app's form and the element's attributes name core's policy fields, for messages people read. */
const FIELD_NAMES: ParsePolicyOptions['names'] = {
  method: 'signing method',
  publicKey: "signer's public key",
  keyName: 'key name',
  anchors: 'trusted CA certificate(s)',
  identity: 'signer identity',
  identityRegexp: 'identity pattern',
  issuer: 'OIDC issuer',
};

/**
 * Form or attribute values → core's parsePolicy (the one policy reader). Only the chosen method's fields
 * are passed on: the form keeps the others filled in when the user switches method. Typed text is trimmed
 * (a pasted identity often carries a newline); an empty field is a field not given.
 */
export function buildPolicy(f: PolicyFields): Policy {
  const text = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  switch (f.method) {
    case 'key':
      return parsePolicy({ method: 'key', publicKey: text(f.publicKey), keyName: text(f.keyName) }, { names: FIELD_NAMES });
    case 'certificate': {
      const chain = text(f.certificateChain);
      return parsePolicy({ method: 'certificate', anchors: chain === undefined ? undefined : [chain] }, { names: FIELD_NAMES });
    }
    case 'sigstore':
      return parsePolicy(
        { method: 'sigstore', identity: text(f.identity), identityRegexp: text(f.identityRegexp), issuer: text(f.issuer), claims: f.claims },
        { names: FIELD_NAMES },
      );
    default:
      // Unknown or not chosen: parsePolicy words both (INPUT_MISSING for none, POLICY_INVALID otherwise).
      return parsePolicy({ method: f.method }, { names: FIELD_NAMES });
  }
}

export interface LiveProgress extends Progress {
  /** Smoothed bytes per second, 0 until known. */
  rate: number;
  /** Seconds left at the current rate, undefined until known. */
  eta?: number;
}

/** Exponentially smoothed throughput, so MB/s and ETA do not jump around with every chunk. */
export class Throughput {
  private t0 = 0;
  private lastT = 0;
  private lastBytes = 0;
  rate = 0;
  update(p: Progress, now = performance.now()): LiveProgress {
    if (this.t0 === 0) {
      this.t0 = this.lastT = now;
      this.lastBytes = p.bytesDone;
      return { ...p, rate: 0 };
    }
    const dt = (now - this.lastT) / 1000;
    if (dt >= 0.05) {
      const inst = (p.bytesDone - this.lastBytes) / dt;
      this.rate = this.rate === 0 ? inst : 0.7 * this.rate + 0.3 * inst;
      this.lastT = now;
      this.lastBytes = p.bytesDone;
    }
    const out: LiveProgress = { ...p, rate: this.rate };
    if (this.rate > 0) out.eta = Math.max(0, (p.bytesTotal - p.bytesDone) / this.rate);
    return out;
  }
}

export interface RunOptions {
  source: ModelSource;
  bundle: Uint8Array;
  policy: Policy;
  trustedRoot?: unknown;
  ignorePaths?: string[];
  ignoreUnsigned?: boolean;
  signal?: AbortSignal;
  backend?: HashBackend;
  onProgress?: (p: LiveProgress) => void;
  onStage?: (stage: 'signature' | 'hashing' | 'compare') => void;
}

/** The one call every browser surface makes. */
export async function runVerification(o: RunOptions): Promise<VerificationReport> {
  const tp = new Throughput();
  const backend = o.backend ?? (await browserHashBackend());
  return verifyModel(o.source, o.bundle, o.policy, {
    backend,
    ...(o.ignorePaths?.length ? { ignorePaths: o.ignorePaths } : {}),
    ...(o.ignoreUnsigned ? { ignoreUnsigned: true } : {}),
    ...(o.trustedRoot !== undefined ? { trustedRoot: o.trustedRoot } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onStage ? { onStage: o.onStage } : {}),
    ...(o.onProgress ? { onProgress: (p: Progress) => o.onProgress!(tp.update(p)) } : {}),
  });
}

/** Splits user-typed ignore paths (comma, newline or space separated) into model-relative paths. */
export function parseIgnorePaths(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) =>
      s
        .trim()
        .replace(/^\.\/+/, '')
        .replace(/\/+$/, ''),
    )
    .filter(Boolean);
}

/** A short "who signed" for badges and banners. */
export function signerLabel(r: VerificationReport): string {
  const s = r.signer;
  if (!s) return 'unknown signer';
  switch (s.method) {
    case 'sigstore':
      return s.identity;
    case 'certificate':
      return /(?:^|,\s*)CN=([^,]+)/.exec(s.certificate.subject)?.[1] ?? s.certificate.subject;
    case 'key':
      return s.keyName ? `${s.keyName} (key ${s.keyHint.slice(0, 12)}…)` : `key ${s.keyHint.slice(0, 12)}…`;
  }
}

const HEADLINES: Partial<Record<ErrorCode, string>> = {
  HASH_MISMATCH: 'A file was modified',
  MISSING_FILE: 'A signed file is missing',
  UNSIGNED_FILE: 'The model has files the signature does not cover',
  KEY_MISMATCH: 'Wrong public key: the model was signed with a different key',
  SIGNATURE_INVALID: 'The signature is not valid for this key',
  IDENTITY_MISMATCH: 'Signed by someone else',
  ISSUER_MISMATCH: 'The signer identity comes from a different issuer',
  CLAIM_MISMATCH: 'The signing certificate does not carry the expected claims',
  CERT_CHAIN_UNTRUSTED: 'The signing certificate is not issued by the CA you trust',
  CERT_EXPIRED: 'The signing certificate has expired',
  CERT_NOT_YET_VALID: 'The signing certificate is not valid yet',
  BUNDLE_MALFORMED: 'No usable signature file',
  BUNDLE_TOO_LARGE: 'The signature file is far too large',
  MODEL_EMPTY: 'No model files to check',
  PATH_UNSAFE: 'A file name is not usable',
  SYMLINK_REFUSED: 'The model contains a symbolic link',
  MANIFEST_EMPTY: 'The signature covers no files',
  STATEMENT_TYPE: 'The signature does not contain a model statement',
  PREDICATE_TYPE: 'The signature is not an OpenSSF model signature',
  KEY_MALFORMED: 'The public key cannot be read',
  KEY_UNSUPPORTED: 'This kind of key is not supported',
  CERT_MALFORMED: 'A certificate cannot be read',
  SCT_INVALID: 'The certificate transparency proof does not check out',
  SIGSTORE_INVALID: 'The Sigstore signature does not check out',
  BUNDLE_MEDIA_TYPE: 'The signature file has an unsupported format',
  BUNDLE_MATERIAL: 'This signature needs a different verification method',
  INPUT_MISSING: 'The verification settings are incomplete',
  POLICY_INVALID: 'The verification settings are not valid',
  IO_ERROR: 'A file could not be read',
  MODEL_CHANGED: 'A file changed while it was being verified',
  MODEL_NOT_FOUND: 'The model could not be found',
  ABORTED: 'Verification was cancelled',
  UNSUPPORTED: 'Not supported in this build',
  TLOG_INVALID: 'The transparency log entry does not check out',
  TRUST_ROOT_INVALID: 'The Sigstore trust root cannot be used',
  TIMESTAMP_INVALID: 'The signing timestamp does not check out',
};

/** Headline for a failed report: the first error's category, naming the file when there is one. */
export function failureHeadline(r: VerificationReport): string {
  const e = r.errors[0];
  if (!e) return 'Not verified';
  const head = HEADLINES[e.code] ?? 'Verification failed';
  if (e.code === 'HASH_MISMATCH' && e.resource) return `File ${e.resource} was modified`;
  if (e.code === 'MISSING_FILE' && e.resource) return `Signed file ${e.resource} is missing`;
  return head;
}

/** Short reason for the badge ("failed · file x modified"). */
export function shortReason(r: VerificationReport): string {
  const e = r.errors[0];
  if (!e) return 'not verified';
  if (e.code === 'HASH_MISMATCH') return e.resource ? `${e.resource} modified` : 'file modified';
  if (e.code === 'MISSING_FILE') return e.resource ? `${e.resource} missing` : 'file missing';
  return (HEADLINES[e.code] ?? e.code).toLowerCase();
}

export { formatBytes };

export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond < 10e6 ? 1 : 0)} MB/s`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A failed report for errors raised before verifyModel could run (bad inputs, unreachable URLs). */
export function reportFromError(e: unknown, modelName = '', listable = true): VerificationReport {
  return failedReport(e, { name: modelName, listable });
}
