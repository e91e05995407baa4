/** The parts of a Sigstore bundle that verification reads, after validation (see reader.ts). */
import type { JsonObject } from '../util/json.js';

export type BundleVersion = '0.1' | '0.2' | '0.3';

export interface DsseSignature {
  sig: Uint8Array;
  keyid?: string | null;
}

export interface DsseEnvelope {
  /** The decoded payload bytes exactly as signed: never re-serialize them. */
  payload: Uint8Array;
  payloadType: string;
  signatures: DsseSignature[];
}

export interface MessageSignature {
  digest?: { algorithm: string; digest: Uint8Array };
  signature: Uint8Array;
}

export type VerificationMaterial =
  | { kind: 'publicKey'; hint: string | null }
  | { kind: 'x509CertificateChain'; certificates: Uint8Array[] }
  | { kind: 'certificate'; certificate: Uint8Array };

export interface Bundle {
  mediaType: string;
  version: BundleVersion;
  /** DSSE envelope (all OMS signatures) or a message signature (generic Sigstore bundles). */
  content: { kind: 'dsse'; envelope: DsseEnvelope } | { kind: 'messageSignature'; messageSignature: MessageSignature };
  material: VerificationMaterial;
  /** Raw JSON of `verificationMaterial.tlogEntries` (validated by core/sigstore when used). */
  tlogEntries: unknown[];
  /** Raw JSON of `verificationMaterial.timestampVerificationData`, if any. */
  timestampVerificationData: JsonObject | undefined;
  /** The parsed JSON document, for diagnostics. */
  json: JsonObject;
}

export const MEDIA_TYPE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
