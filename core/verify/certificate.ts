/**
 * Certificate signatures: the signing certificate chained to trust anchors the verifier gives (X.509 via pkijs).
 * Its own module so that key verification never loads it: core/verify/verify-model.ts imports it on use.
 */
import type { Bundle, DsseEnvelope } from '../bundle/types.js';
import { wrongMethodMessage } from '../bundle/method.js';
import { fail } from '../errors.js';
import { checkKeyType } from '../crypto/key-signature.js';
import { buildChain } from '../x509/chain.js';
import {
  certificatesFromPem,
  certPublicKey,
  extKeyUsage,
  keyUsage,
  OID,
  parseCertificate,
  summarize,
  validity,
  type Certificate,
  type CertSummary,
} from '../x509/certificate.js';
import { fulcioIdentity } from '../x509/fulcio.js';
import { rfc3161Tokens, verifiedTimes } from '../sigstore/times.js';
import { TrustRoot } from '../sigstore/trust-root.js';
import { dsseEnvelope, requireV03, verifyDsse } from './envelope.js';
import type { CertificateSignerSummary, PaeEncoding, TimeSummary } from './report.js';

/** The bundle's certificate chain (leaf first), or the method the bundle needs instead. */
function chainMaterial(bundle: Bundle): Uint8Array[] {
  // Not bundleMethod() === 'certificate': a chain with log entries (a v0.1/v0.2 keyless layout) has always been
  // accepted here, checked against the anchors the verifier gives, as the reference does.
  if (bundle.material.kind !== 'x509CertificateChain') {
    fail('BUNDLE_MATERIAL', `This signature was not made with an X.509 certificate chain. ${wrongMethodMessage(bundle)}`);
  }
  return bundle.material.certificates;
}

/** The signing certificate may sign (KeyUsage digitalSignature or EKU codeSigning); warns when KeyUsage is absent. */
function checkUsage(leaf: Certificate, warnings: string[]): void {
  const ku = keyUsage(leaf);
  const eku = extKeyUsage(leaf);
  if (!ku) warnings.push('The signing certificate has no KeyUsage extension');
  if (!(ku?.digitalSignature || eku?.includes(OID.codeSigning))) {
    fail('CERT_USAGE', 'Signing certificate cannot be used for signing (needs KeyUsage digitalSignature or ExtendedKeyUsage codeSigning)');
  }
}

/** The DSSE signature against the leaf's key (v0.2.0 certificate signatures hashed with SHA-256 whatever the curve). */
async function leafSignature(leaf: Certificate, env: DsseEnvelope): Promise<PaeEncoding> {
  const key = certPublicKey(leaf);
  checkKeyType(key.algorithm);
  return verifyDsse(key, 'SHA-256', env);
}

/**
 * The time an RFC 3161 timestamp in the bundle proves, verified against the timestamp authority the verifier
 * trusts (its chain, TSA leaf first), as Sigstore verifies them (core/sigstore/times.ts): the imprint must be the
 * bundle's signature, and a timestamp that fails is an error, never skipped.
 */
async function timestampedTime(bundle: Bundle, tsaPems: readonly string[]): Promise<{ at: Date; timestamps: TimeSummary[] }> {
  const certs = certificatesFromPem(tsaPems);
  if (certs.length === 0) fail('POLICY_INVALID', 'The timestamp authority certificate chain holds no certificate');
  if (rfc3161Tokens(bundle).length === 0) {
    fail('TIMESTAMP_MISSING', 'The signature carries no RFC 3161 timestamp, but a timestamp authority to check one against was given');
  }
  const tsa = { uri: '', name: 'the given timestamp authority', certs, validFor: { start: new Date(0) } };
  const { times } = await verifiedTimes(bundle, [], new TrustRoot([], [], [], [tsa], 'timestamp authority certificate chain'));
  return { at: times[0]!.at, timestamps: times.map(({ at: _, ...t }) => t) };
}

export async function verifyCertificateSignature(
  bundle: Bundle,
  anchorPems: readonly string[],
  time: Date,
  tsaPems?: readonly string[],
): Promise<{ signer: CertificateSignerSummary; warnings: string[] }> {
  requireV03(bundle);
  const env = dsseEnvelope(bundle);
  const certs = chainMaterial(bundle);
  const anchors = certificatesFromPem(anchorPems);
  if (anchors.length === 0) fail('POLICY_INVALID', 'Certificate verification needs at least one trust anchor certificate (--certificate-chain)');
  const [leafDer, ...rest] = certs;
  const leaf = parseCertificate(leafDer!, 'The signing certificate');
  const intermediates = rest.map((d, i) => parseCertificate(d, `Chain certificate ${i + 1}`));
  const stamped = tsaPems?.length ? await timestampedTime(bundle, tsaPems) : undefined;
  const chain = await buildChain(leaf, intermediates, anchors, { time: stamped?.at ?? time });

  const warnings: string[] = [];
  checkUsage(leaf, warnings);
  const used = await leafSignature(leaf, env);
  const summaries = await Promise.all(chain.map(summarize));
  const signer: CertificateSignerSummary = { method: 'certificate', certificate: summaries[0]!, chain: summaries, pae: used };
  if (stamped) signer.timestamps = stamped.timestamps;
  return { signer, warnings };
}

/**
 * For inspectSignature: the leaf's usage and time validity and the envelope signature against the leaf's key —
 * everything that needs no trust anchor. The chain is summarised as the bundle ships it, not verified: anyone
 * can make a certificate with any subject, so none of this says who signed until a CA you trust is given.
 */
export async function inspectCertificateSignature(
  bundle: Bundle,
  time: Date,
): Promise<{ leaf: CertSummary; sans: string[]; chain: CertSummary[]; pae: PaeEncoding; warnings: string[] }> {
  requireV03(bundle);
  const env = dsseEnvelope(bundle);
  const certs = chainMaterial(bundle);
  // At most 16 certificates: the bundle reader refuses longer chains before any is parsed.
  const parsed = certs.map((d, i) => parseCertificate(d, i === 0 ? 'The signing certificate' : `Chain certificate ${i}`));
  const leaf = parsed[0]!;
  const warnings: string[] = [];
  checkUsage(leaf, warnings);
  const { notBefore, notAfter } = validity(leaf);
  if (time < notBefore) fail('CERT_NOT_YET_VALID', `The signing certificate is not yet valid at ${time.toISOString()} (valid from ${notBefore.toISOString()})`);
  if (time > notAfter) fail('CERT_EXPIRED', `The signing certificate expired at ${notAfter.toISOString()} (checked at ${time.toISOString()})`);
  const pae = await leafSignature(leaf, env);
  const chain = await Promise.all(parsed.map(summarize));
  return { leaf: chain[0]!, sans: fulcioIdentity(leaf).sans, chain, pae, warnings };
}
