/**
 * Signature checks for key signatures, and the DSSE checks certificate signatures share (./certificate.ts, loaded
 * on use: it needs pkijs, which key verification must not download). Sigstore lives in core/sigstore.
 */
import { compatPae, pae } from '../bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE, MEDIA_TYPE_V03, type Bundle, type DsseEnvelope } from '../bundle/types.js';
import { fail } from '../errors.js';
import { wrongMethodMessage } from '../bundle/method.js';
import { keyHint, publicKeyFromPem, type HashName, type PublicKeyInfo } from '../crypto/keys.js';
import { checkKeyType, verifyWithKey } from '../crypto/key-signature.js';
import type { KeySignerSummary } from './report.js';

export function dsseEnvelope(bundle: Bundle): DsseEnvelope {
  if (bundle.content.kind !== 'dsse') fail('BUNDLE_MALFORMED', 'An OMS signature must contain a DSSE envelope, not a message signature');
  return bundle.content.envelope;
}

/** The reference accepts only this media type for key and certificate signatures. */
export function requireV03(bundle: Bundle): void {
  if (bundle.mediaType !== MEDIA_TYPE_V03) {
    fail('BUNDLE_MEDIA_TYPE', `Invalid sigstore bundle, got media type ${bundle.mediaType} but expected ${MEDIA_TYPE_V03}`);
  }
}

/**
 * PAE with the in-toto type (as the reference builds it), then the v0.2.0 compat encoding as a fallback (EC keys
 * only: RSA and Ed25519 signatures are newer than it). `compatHash` is the ECDSA hash of that encoding; the
 * schemes per key type are core/crypto/key-signature.ts's. The declared payloadType is checked by the caller.
 */
export async function verifyDsse(key: PublicKeyInfo, compatHash: HashName | undefined, env: DsseEnvelope): Promise<'standard' | 'compat'> {
  const sig = env.signatures[0]!.sig;
  if (await verifyWithKey(key, sig, pae(IN_TOTO_PAYLOAD_TYPE, env.payload))) return 'standard';
  if (key.algorithm.kind === 'ec' && (await verifyWithKey(key, sig, compatPae(IN_TOTO_PAYLOAD_TYPE, env.payload), compatHash))) return 'compat';
  fail('SIGNATURE_INVALID', 'The signature does not match the signed statement and the key (invalid signature)');
}

export async function verifyKeySignature(bundle: Bundle, publicKeyPem: string): Promise<{ signer: KeySignerSummary; warnings: string[] }> {
  requireV03(bundle);
  const env = dsseEnvelope(bundle);
  if (bundle.material.kind !== 'publicKey') fail('BUNDLE_MATERIAL', `This signature was not made with a bare public key. ${wrongMethodMessage(bundle)}`);
  const key = publicKeyFromPem(publicKeyPem);
  checkKeyType(key.algorithm);
  const hint = await keyHint(key.spki);
  const warnings: string[] = [];
  if (bundle.material.hint === null) {
    warnings.push(
      "This model's signature uses an older verification material format. Please re-sign with an updated signer to use a public key identifier hash.",
    );
  } else if (bundle.material.hint !== hint) {
    fail('KEY_MISMATCH', "Key mismatch: The public key hash in the signature's verification material does not match the provided public key.");
  }
  const used = await verifyDsse(key, undefined, env);
  return { signer: { method: 'key', keyHint: hint, legacyKeyMaterial: bundle.material.hint === null, pae: used }, warnings };
}
