/** Public API of the platform-neutral core. */
export { ModelVerifyError, isModelVerifyError, toModelVerifyError, type ErrorCode } from './errors.js';
export { parseBundle, MAX_BUNDLE_BYTES } from './bundle/reader.js';
export type { Bundle, DsseEnvelope, VerificationMaterial } from './bundle/types.js';
export { pae, compatPae } from './bundle/dsse.js';
export { statementToManifest, PREDICATE_TYPE, STATEMENT_TYPE } from './bundle/statement.js';
export type { Manifest, Resource, Serialization, HashAlgorithm } from './manifest/types.js';
export { rootDigest } from './manifest/root-digest.js';
export { compareResources, sortResources } from './manifest/order.js';
export type { ResourceResult, ResourceStatus } from './manifest/compare.js';
export type { ModelSource, ModelEntry, ListOptions } from './serialize/source.js';
export { IgnoreSet, GIT_PATHS } from './serialize/ignore.js';
export { planModel, type HashJob, type Plan } from './serialize/plan.js';
export { createHasher, registerHasher, type Hasher, type HasherFactory } from './hash/hasher.js';
export { StreamingBackend, ProgressTracker, runPool, hashJobFromStream, type HashBackend, type Progress, type HashRunOptions } from './hash/backend.js';
export type { Digests } from './hash/digests.js';
export type { Policy, Method } from './policy/types.js';
export { parsePolicy, POLICY_LIMITS, type ParsePolicyOptions, type PolicyField } from './policy/parse.js';
export { compileIdentityRegexp } from './policy/regexp.js';
export { verifyModel, verifySignature, type VerifyOptions, type SignatureOptions, type SignatureResult } from './verify/verify-model.js';
export { computeManifest, type ComputedManifest, type ComputeOptions } from './verify/compute.js';
// The optional phase observer of verifyModel / signModel / computeManifest (logs, traces): core/util/phase.ts.
export type { OnPhase, PhaseName, PhaseAttributes, PhaseResult } from './util/phase.js';
export {
  inspectSignature,
  type InspectOptions,
  type SignatureInspection,
  type ClaimedSigner,
  type ClaimedKeySigner,
  type ClaimedCertificateSigner,
  type ClaimedSigstoreSigner,
} from './verify/inspect.js';
export { bundleMethod } from './bundle/method.js';
export {
  REPORT_MEDIA_TYPE,
  type VerificationReport,
  type SignerSummary,
  type KeySignerSummary,
  type CertificateSignerSummary,
  type SigstoreSignerSummary,
  type LogSummary,
  type TimeSummary,
  type PaeEncoding,
  type ReportError,
  type RemoteClaim,
} from './verify/report.js';
// Web-standard sources (package entry `model-verify`): any model reachable over fetch, or bytes in memory.
export { HttpSource, MemorySource, type HttpSourceOptions } from './sources/index.js';
export { OciSource, parseOciReference, formatOciReference, type OciReference, type OciSourceOptions } from './sources/index.js';
// Hugging Face Hub repositories (hf://org/model[@revision]), pinned to the resolved commit, and the Hub's digest claim.
export { HfSource, parseHfSpec, hubPrecheck, type HfSourceOptions, type HfSpec } from './sources/index.js';
// Verified model loading for in-browser runtimes (env.fetch, fetchFunc, bytes for InferenceSession.create).
export {
  createVerifiedFetch,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_ONE_SHOT_BYTES,
  type VerifiedFetch,
  type VerifiedFetchOptions,
  type VerifiedFetchProgress,
  type VerifiedLookup,
  createVerifiedCache,
  type VerifiedCache,
  type VerifiedCacheOptions,
} from './fetch/index.js';
export type { CertSummary } from './x509/certificate.js';
export { keyHint, publicKeyFromPem } from './crypto/keys.js';
export * from './sign/index.js';
export * from './sign/x509/index.js';
export * from './sign/keyless/index.js';
export { embeddedTrustRoot, parseTrustRoot, TrustRoot, verifySigstoreBundle, type Artifact, type SignerPolicy } from './sigstore/index.js';
export { fail } from './errors.js';
// OCI image manifests signed and verified as models (the Go port's format; docs/oci.md).
export {
  parseImageManifest,
  looksLikeImageManifest,
  signOciManifest,
  verifyOciManifest,
  buildOciManifestPayload,
  ociResources,
  modelNameFromManifestPath,
  type ImageManifest,
  type Descriptor,
} from './oci/index.js';
