/** Entry to core/verify/ for adapters and shells. */
export { computeManifest } from './compute.js';
export { REPORT_MEDIA_TYPE, emptyReport, failedReport, type VerificationReport, type SignerSummary, type ReportError, type TrustRootInfo } from './report.js';
export { verifyModel, verifySignature } from './verify-model.js';
export { dsseEnvelope } from './envelope.js';
export {
  inspectSignature,
  type InspectOptions,
  type SignatureInspection,
  type ClaimedSigner,
  type ClaimedKeySigner,
  type ClaimedCertificateSigner,
  type ClaimedSigstoreSigner,
} from './inspect.js';
export { bundleMethod } from '../bundle/method.js';
