/**
 * `inspectSignature`: who *claims* to have signed a bundle, and which verification method it needs — for a user
 * who does not yet know what to require. It runs every check that needs no policy and reports the rest as not
 * checked. It never accepts a model: it takes no policy, returns no VerificationReport, and verifyModel /
 * verifySignature still refuse to run without a policy. A claimed identity is worth exactly as much as the
 * policy the user then writes down for it.
 */
import { bundleMethod } from '../bundle/method.js';
import { parseBundle } from '../bundle/reader.js';
import { fail } from '../errors.js';
import { clip } from '../util/json.js';
import type { Method } from '../policy/types.js';
import type { CertSummary } from '../x509/certificate.js';
import { dsseEnvelope, requireV03 } from './envelope.js';
import type { LogSummary, PaeEncoding, TimeSummary, TrustRootInfo } from './report.js';
import { signedManifest } from './verify-model.js';

export interface InspectOptions {
  /** Sigstore TrustedRoot or ClientTrustConfig JSON (or a parsed TrustRoot); the embedded production root when absent. */
  trustedRoot?: unknown;
  /** Time at which a certificate signature's leaf must be valid (default: now). Keyless bundles use their verified times. */
  time?: Date;
  signal?: AbortSignal;
}

/** A bare-key signature: only the key's fingerprint is recorded, and nothing is checkable without the key. */
export interface ClaimedKeySigner {
  method: 'key';
  /**
   * The key hint the signer recorded (lowercase hex SHA-256 of the public key, as `keyHint()` computes it), or null
   * for pre-1.1 signers, which record none. A claim: any key can be named here. Clipped (with …) past 128 characters.
   */
  keyHint: string | null;
}

/** An X.509 certificate signature: the leaf's key verified the envelope; the chain is shown as shipped, unanchored. */
export interface ClaimedCertificateSigner {
  method: 'certificate';
  /** The signing (leaf) certificate; also chain[0]. */
  certificate: CertSummary;
  /** The leaf's subject alternative names (email, URI), if any. */
  sans: string[];
  /** The certificates in the bundle, leaf first, in bundle order: not verified, not anchored to anything. */
  chain: CertSummary[];
  /** Always false: only a CA you trust (the certificate method's policy) can anchor the chain. */
  anchored: false;
  pae: PaeEncoding;
}

/** A keyless signature whose Fulcio certificate, log entry and timestamps verified against the trust root. */
export interface ClaimedSigstoreSigner {
  method: 'sigstore';
  /** The identity the certificate names (its first SAN: email, URI or Sigstore username). */
  identity: string;
  /** Every identity-like SAN of the certificate (Fulcio issues exactly one; listed in case of more). */
  identities: string[];
  /** The OIDC issuer that vouched for the identity (what --identity-provider must equal). */
  issuer: string;
  /** Fulcio claims (GitHub workflow, source repository, …) by name. */
  claims: Record<string, string>;
  certificate: CertSummary;
  /** The verified path, leaf first, ending at a trusted-root CA. */
  chain: CertSummary[];
  log: LogSummary;
  /** The verified times the certificate was checked at (at least one). */
  timestamps: TimeSummary[];
}

export type ClaimedSigner = ClaimedKeySigner | ClaimedCertificateSigner | ClaimedSigstoreSigner;

/**
 * What `inspectSignature` found. Deliberately not shaped like a VerificationReport (no `verified`): it is who
 * claims to have signed, checked as far as the bundle alone allows, and not yet anything the user required.
 */
export interface SignatureInspection {
  /** Always false: no policy was consulted. Accepting a model needs verifyModel with a policy. */
  policyChecked: false;
  /** The verification method (and so the policy kind) this bundle needs. */
  method: Method;
  signer: ClaimedSigner;
  /** What was verified, in plain words, in the order it was checked. */
  checked: string[];
  /** What was not (or cannot be) verified without a policy, and what to give so that it is. */
  notChecked: string[];
  warnings: string[];
  /** The signed statement (read only after its signature verified, except for key bundles: see notChecked). */
  statement: {
    subjectName: string;
    rootDigest: string | null;
    predicateType: string;
    serialization: { method: 'files' | 'shards'; hashType: string; shardSize?: number; ignorePaths: string[] };
    /** How many files (or shards) it covers. */
    resources: number;
  };
  /** The Sigstore trust root the keyless checks used. */
  trustRoot?: TrustRootInfo;
}

const MAX_HINT_CHARS = 128;

const NOT_A_VERIFICATION = 'Whether this signer is one you trust: inspection checks no policy. Verify the model with one to accept it.';
const MODEL_NOT_CHECKED = 'The model files: inspection reads only the signature.';

/**
 * Reads a bundle, detects the method it needs and runs every check that needs no policy (for keyless bundles:
 * the Fulcio chain to the trust root, SCT, log proofs, timestamps and the DSSE signature; for certificate bundles:
 * the envelope signature against the leaf's key). Throws a ModelVerifyError for a malformed bundle or a failed check.
 */
export async function inspectSignature(bundleBytes: Uint8Array | string, options: InspectOptions = {}): Promise<SignatureInspection> {
  const bundle = parseBundle(bundleBytes);
  const method = bundleMethod(bundle);
  options.signal?.throwIfAborted();
  let signer: ClaimedSigner;
  let checked: string[];
  let notChecked: string[];
  let warnings: string[] = [];
  let trustRoot: SignatureInspection['trustRoot'];
  switch (method) {
    case 'key': {
      requireV03(bundle);
      dsseEnvelope(bundle);
      const m = bundle.material;
      // The hint is the bundle's text, unchecked: bounded here so a hostile one cannot flood a page or terminal.
      const hint = m.kind === 'publicKey' ? m.hint : null;
      signer = { method, keyHint: hint === null ? null : clip(hint, MAX_HINT_CHARS) };
      checked = ['Bundle structure and media type'];
      notChecked = [
        "The signature: it can only be checked with the signer's public key (key method, --public-key)",
        signer.keyHint === null
          ? 'Which key signed: this signature records no key hint (made before model_signing 1.1)'
          : 'Which key signed: the key hint is a claim until the signature verifies with that key',
        'The signed statement is shown unverified: anyone can write one',
        NOT_A_VERIFICATION,
        MODEL_NOT_CHECKED,
      ];
      break;
    }
    case 'certificate': {
      const { inspectCertificateSignature } = await import('./certificate.js');
      const r = await inspectCertificateSignature(bundle, options.time ?? new Date());
      signer = { method, certificate: r.leaf, sans: r.sans, chain: r.chain, anchored: false, pae: r.pae };
      warnings = r.warnings;
      checked = [
        'Bundle structure and media type',
        'Signing certificate usage (digitalSignature or codeSigning) and validity period',
        "The DSSE signature over the statement, with the signing certificate's key",
      ];
      notChecked = [
        'The certificate chain: it is not anchored to any CA; give the CA certificate you trust (certificate method, --certificate-chain)',
        'Who signed: without a trusted CA anyone can issue a certificate with this subject',
        NOT_A_VERIFICATION,
        MODEL_NOT_CHECKED,
      ];
      break;
    }
    case 'sigstore': {
      const { inspectSigstoreSignature } = await import('../sigstore/index.js');
      const r = await inspectSigstoreSignature(bundle, { trustedRoot: options.trustedRoot, signal: options.signal });
      const id = r.claims.identity;
      // No policy can accept a certificate without an identity or an issuer: refuse it here rather than show a blank.
      if (id.sans.length === 0) fail('CERT_MALFORMED', 'The signing certificate names no identity (no email, URI or username SAN)');
      if (id.issuer === undefined) fail('CERT_MALFORMED', 'The signing certificate names no OIDC issuer (no Fulcio issuer extension)');
      signer = {
        method,
        identity: id.sans[0]!,
        identities: id.sans,
        issuer: id.issuer,
        claims: id.claims,
        certificate: r.claims.certificate,
        chain: r.claims.chain,
        log: r.claims.log,
        timestamps: r.claims.timestamps,
      };
      trustRoot = r.trustRoot;
      checked = [
        'Bundle structure',
        `Timestamps (${r.claims.timestamps.map((t) => t.source).join(', ')}) against the trust root`,
        'Signing certificate chain to a trusted Sigstore CA at the signing time, its SCT and code-signing usage',
        'Transparency-log entry: signed entry timestamp or inclusion proof and checkpoint, and its body matches the bundle',
        "The DSSE signature over the statement, with the signing certificate's key",
      ];
      notChecked = [
        'Whether the identity and issuer are the ones you expect: give them (sigstore method, --identity or --identity-regexp, and --identity-provider)',
        NOT_A_VERIFICATION,
        MODEL_NOT_CHECKED,
      ];
      break;
    }
  }
  // The same statement checks verifySignature makes; for key bundles they read a statement nobody verified yet,
  // which notChecked says.
  const manifest = await signedManifest(bundle);
  checked.push('Statement format: in-toto type, predicate and a manifest of at least one file');
  const s = manifest.serialization;
  const result: SignatureInspection = {
    policyChecked: false,
    method,
    signer,
    checked,
    notChecked,
    warnings,
    statement: {
      subjectName: manifest.modelName,
      rootDigest: manifest.rootDigest,
      predicateType: manifest.predicateType,
      serialization: { method: s.method, hashType: s.hashType, ...(s.shardSize ? { shardSize: s.shardSize } : {}), ignorePaths: s.ignorePaths },
      resources: manifest.resources.length,
    },
  };
  if (trustRoot) result.trustRoot = trustRoot;
  return result;
}
