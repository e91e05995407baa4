/**
 * Certificate signatures: the signing certificate chained to trust anchors the verifier gives (X.509 via pkijs).
 * Its own module so that key verification never loads it: core/verify/verify-model.ts imports it on use.
 */
import type { Bundle } from '../bundle/types.js';
import { fail } from '../errors.js';
import { CURVE_HASH } from '../crypto/keys.js';
import { decodePemAll } from '../crypto/pem.js';
import { buildChain } from '../x509/chain.js';
import { certPublicKey, extKeyUsage, keyUsage, OID, parseCertificate, summarize, type Certificate } from '../x509/certificate.js';
import { dsseEnvelope, requireV03, verifyDsse } from './envelope.js';
import type { CertificateSignerSummary } from './report.js';

export function certificatesFromPem(texts: readonly string[]): Certificate[] {
  const out: Certificate[] = [];
  for (const t of texts) {
    for (const b of decodePemAll(t, 'CERT_MALFORMED')) {
      if (b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE') out.push(parseCertificate(b.der, 'Trust anchor'));
    }
  }
  return out;
}

export async function verifyCertificateSignature(
  bundle: Bundle,
  anchorPems: readonly string[],
  time: Date,
): Promise<{ signer: CertificateSignerSummary; warnings: string[] }> {
  requireV03(bundle);
  const env = dsseEnvelope(bundle);
  if (bundle.material.kind === 'publicKey') {
    fail('BUNDLE_MATERIAL', 'This signature was made with a bare public key, not a certificate: verify it with the key method');
  }
  if (bundle.material.kind !== 'x509CertificateChain') {
    fail('BUNDLE_MATERIAL', 'This is a Sigstore (keyless) signature: verify it with the sigstore method');
  }
  const anchors = certificatesFromPem(anchorPems);
  if (anchors.length === 0) fail('POLICY_INVALID', 'Certificate verification needs at least one trust anchor certificate (--certificate-chain)');
  const [leafDer, ...rest] = bundle.material.certificates;
  const leaf = parseCertificate(leafDer!, 'The signing certificate');
  const intermediates = rest.map((d, i) => parseCertificate(d, `Chain certificate ${i + 1}`));
  const chain = await buildChain(leaf, intermediates, anchors, { time });

  const warnings: string[] = [];
  const ku = keyUsage(leaf);
  const eku = extKeyUsage(leaf);
  if (!ku) warnings.push('The signing certificate has no KeyUsage extension');
  if (!(ku?.digitalSignature || eku?.includes(OID.codeSigning))) {
    fail('CERT_USAGE', 'Signing certificate cannot be used for signing (needs KeyUsage digitalSignature or ExtendedKeyUsage codeSigning)');
  }
  const key = certPublicKey(leaf);
  if (key.algorithm.kind !== 'ec') fail('KEY_UNSUPPORTED', 'Only elliptic curve keys are supported');
  // v0.2.0 certificate signatures hashed with SHA-256 whatever the curve.
  const used = await verifyDsse(key, CURVE_HASH[key.algorithm.curve], 'SHA-256', env);
  const summaries = await Promise.all(chain.map(summarize));
  return { signer: { method: 'certificate', certificate: summaries[0]!, chain: summaries, pae: used }, warnings };
}
