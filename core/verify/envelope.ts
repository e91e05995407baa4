/** Signature checks for key and certificate signatures (Sigstore lives in core/sigstore). */
import { compatPae, pae } from '../bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE, MEDIA_TYPE_V03, type Bundle, type DsseEnvelope } from '../bundle/types.js';
import { fail } from '../errors.js';
import { CURVE_HASH, keyHint, publicKeyFromPem, verifyEcdsa, type HashName, type PublicKeyInfo } from '../crypto/keys.js';
import { decodePemAll } from '../crypto/pem.js';
import { buildChain } from '../x509/chain.js';
import { certPublicKey, extKeyUsage, keyUsage, OID, parseCertificate, summarize, type Certificate } from '../x509/certificate.js';
import type { CertificateSignerSummary, KeySignerSummary } from './report.js';

export function dsseEnvelope(bundle: Bundle): DsseEnvelope {
  if (bundle.content.kind !== 'dsse') fail('BUNDLE_MALFORMED', 'An OMS signature must contain a DSSE envelope, not a message signature');
  return bundle.content.envelope;
}

/** The reference accepts only this media type for key and certificate signatures. */
function requireV03(bundle: Bundle): void {
  if (bundle.mediaType !== MEDIA_TYPE_V03) {
    fail('BUNDLE_MEDIA_TYPE', `Invalid sigstore bundle, got media type ${bundle.mediaType} but expected ${MEDIA_TYPE_V03}`);
  }
}

/**
 * PAE with the in-toto type (as the reference builds it), then the v0.2.0 compat encoding as a fallback.
 * The envelope's declared payloadType is checked afterwards by the caller.
 */
async function verifyDsse(key: PublicKeyInfo, hash: HashName, compatHash: HashName, env: DsseEnvelope): Promise<'standard' | 'compat'> {
  const sig = env.signatures[0]!.sig;
  if (await verifyEcdsa(key, hash, sig, pae(IN_TOTO_PAYLOAD_TYPE, env.payload))) return 'standard';
  if (await verifyEcdsa(key, compatHash, sig, compatPae(IN_TOTO_PAYLOAD_TYPE, env.payload))) return 'compat';
  fail('SIGNATURE_INVALID', 'The signature does not match the signed statement and the key (invalid signature)');
}

export async function verifyKeySignature(bundle: Bundle, publicKeyPem: string): Promise<{ signer: KeySignerSummary; warnings: string[] }> {
  requireV03(bundle);
  const env = dsseEnvelope(bundle);
  if (bundle.material.kind !== 'publicKey') {
    fail('BUNDLE_MATERIAL', 'This signature was made with a certificate, not a bare public key: verify it with the certificate method');
  }
  const key = publicKeyFromPem(publicKeyPem);
  if (key.algorithm.kind !== 'ec') fail('KEY_UNSUPPORTED', 'Only elliptic curve keys are supported');
  const hint = await keyHint(key.spki);
  const warnings: string[] = [];
  if (bundle.material.hint === null) {
    warnings.push(
      "This model's signature uses an older verification material format. Please re-sign with an updated signer to use a public key identifier hash.",
    );
  } else if (bundle.material.hint !== hint) {
    fail('KEY_MISMATCH', "Key mismatch: The public key hash in the signature's verification material does not match the provided public key.");
  }
  const h = CURVE_HASH[key.algorithm.curve];
  const used = await verifyDsse(key, h, h, env);
  return { signer: { method: 'key', keyHint: hint, legacyKeyMaterial: bundle.material.hint === null, pae: used }, warnings };
}

export function certificatesFromPem(texts: readonly string[]): Certificate[] {
  const out: Certificate[] = [];
  for (const t of texts) {
    for (const b of decodePemAll(t, 'CERT_MALFORMED')) {
      if (b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE') out.push(parseCertificate(b.der, 'Trust anchor'));
    }
  }
  return out;
}

export async function verifyCertificateSignature(bundle: Bundle, anchorPems: readonly string[], time: Date): Promise<{ signer: CertificateSignerSummary; warnings: string[] }> {
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
