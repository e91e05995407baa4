/**
 * One error class for everything core throws. `code` is a stable identifier (part of our public API:
 * the CLI's --json output, the Worker's `{error: {code}}` and the widget's events carry it); `message`
 * is for people and reuses the reference implementation's wording where it has one.
 */
export type ErrorCode =
  // input / bundle structure
  /** Something required was not given at all (no key, no anchors, no identity or issuer, no signature). */
  | 'INPUT_MISSING'
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_MEDIA_TYPE'
  | 'BUNDLE_MATERIAL'
  | 'BUNDLE_TOO_LARGE'
  /** Two readings of one bundle or statement: duplicate JSON keys, both spellings of a field, several signatures. */
  | 'BUNDLE_AMBIGUOUS'
  | 'DSSE_PAYLOAD_TYPE'
  | 'SIGNATURE_INVALID'
  // keys and certificates
  | 'KEY_MALFORMED'
  | 'KEY_UNSUPPORTED'
  | 'KEY_MISMATCH'
  | 'KEY_PASSWORD'
  | 'CERT_MALFORMED'
  | 'CERT_CHAIN_UNTRUSTED'
  /** Path building gave up: too many look-alike or chain certificates (a flood, not a PKI). */
  | 'CERT_CHAIN_TOO_COMPLEX'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_USAGE'
  | 'CERT_CONSTRAINTS'
  // statement / manifest
  | 'STATEMENT_TYPE'
  | 'PREDICATE_TYPE'
  | 'SUBJECT_INVALID'
  | 'ROOT_DIGEST_MISMATCH'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_EMPTY'
  | 'SERIALIZATION_UNSUPPORTED'
  // model walk
  | 'PATH_UNSAFE'
  | 'SYMLINK_REFUSED'
  | 'SPECIAL_FILE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_EMPTY'
  /** More files than a source accepts (e.g. a dropped folder past browser/file-source.ts's MAX_PICKED_FILES). */
  | 'MODEL_TOO_LARGE'
  | 'MODEL_CHANGED'
  | 'IO_ERROR'
  | 'SOURCE_NOT_LISTABLE'
  // OCI images and registries (core/oci, core/sources/oci-source.ts)
  /** An OCI image manifest that is not one we accept (shape, media type, digest syntax, layer titles, size). */
  | 'OCI_MANIFEST_INVALID'
  /** A registry answered with an error or something that is not the distribution API (names registry, repo, status). */
  | 'REGISTRY_ERROR'
  /** A registry refused us (401/403, token endpoint failed): credentials or access, a setup problem, not a verdict. */
  | 'REGISTRY_AUTH'
  /** A registry rate-limited us (429): try later, a setup problem, not a verdict. */
  | 'REGISTRY_RATE_LIMITED'
  /** A manifest or blob whose bytes do not hash to the digest it was asked for by (a lying registry). */
  | 'BLOB_DIGEST_MISMATCH'
  // comparison (one per resource in the report)
  | 'HASH_MISMATCH'
  | 'MISSING_FILE'
  | 'UNSIGNED_FILE'
  // policy / sigstore
  | 'POLICY_INVALID'
  | 'IDENTITY_MISMATCH'
  | 'ISSUER_MISMATCH'
  | 'CLAIM_MISMATCH'
  | 'TRUST_ROOT_INVALID'
  /** TUF repository metadata or a target failed verification (rollback, expired, signatures below threshold, hash or length): fail closed. */
  | 'TUF_INVALID'
  /** The TUF repository could not be reached or read (network, HTTP status) and no fallback was allowed. */
  | 'TUF_UNAVAILABLE'
  | 'TLOG_INVALID'
  | 'TLOG_MISSING'
  | 'TLOG_SET_INVALID'
  | 'TLOG_PROOF_INVALID'
  | 'TLOG_CHECKPOINT_INVALID'
  | 'TLOG_BODY_MISMATCH'
  | 'TIMESTAMP_MISSING'
  | 'ARTIFACT_MISMATCH'
  | 'SCT_INVALID'
  | 'TIMESTAMP_INVALID'
  | 'SIGSTORE_INVALID'
  // signing
  | 'SIGN_FAILED'
  // runtime
  | 'ABORTED'
  /** The run took longer than the caller allowed (the CLI's --timeout): work was stopped, nothing was decided. */
  | 'TIMEOUT'
  | 'UNSUPPORTED'
  | 'INTERNAL';

export class ModelVerifyError extends Error {
  override readonly name = 'ModelVerifyError';
  readonly code: ErrorCode;
  /** The resource (file or shard identifier) the error is about, when there is one. */
  readonly resource?: string;

  constructor(code: ErrorCode, message: string, options?: { resource?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.resource !== undefined) this.resource = options.resource;
  }

  toJSON(): { code: ErrorCode; message: string; resource?: string } {
    return this.resource === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, resource: this.resource };
  }
}

export function isModelVerifyError(e: unknown): e is ModelVerifyError {
  return e instanceof ModelVerifyError;
}

/** Turns anything thrown into our error type: unknown exceptions become INTERNAL, aborts become ABORTED. */
export function toModelVerifyError(e: unknown, fallback: ErrorCode = 'INTERNAL'): ModelVerifyError {
  if (e instanceof ModelVerifyError) return e;
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) {
    return new ModelVerifyError('ABORTED', 'Verification was cancelled', { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ModelVerifyError(fallback, message || 'Unexpected error', { cause: e });
}

export function fail(code: ErrorCode, message: string, options?: { resource?: string; cause?: unknown }): never {
  throw new ModelVerifyError(code, message, options);
}
