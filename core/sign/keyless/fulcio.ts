/**
 * Fulcio v2 `signingCert`: the OIDC token travels in the JSON body (an Authorization header would fail the
 * browser's CORS preflight), the proof of possession is our DER signature over the token's subject.
 */
import { encodePem, decodePemAll } from '../../crypto/pem.js';
import { fail } from '../../errors.js';
import { toBase64, utf8Encode } from '../../util/bytes.js';
import { isObject } from '../../util/json.js';
import { ecdsaSign } from '../signers.js';
import type { SigningKey } from '../private-key.js';
import { postJson, type Fetch } from './http.js';

/** Returns the certificate chain (DER, leaf first) with the SCT embedded in the leaf. */
export async function requestCertificate(
  f: Fetch,
  fulcioUrl: string,
  token: string,
  subject: string,
  key: SigningKey,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const proof = await ecdsaSign(key, utf8Encode(subject));
  const res = await postJson(
    f,
    `${fulcioUrl}/api/v2/signingCert`,
    {
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: encodePem('PUBLIC KEY', key.spki) }, proofOfPossession: toBase64(proof) },
    },
    'Fulcio',
    signal,
  );
  const holder = isObject(res) ? res.signedCertificateEmbeddedSct : undefined;
  if (!isObject(holder)) {
    if (isObject(res) && res.signedCertificateDetachedSct)
      fail('SIGN_FAILED', 'Fulcio returned a detached SCT; only certificates with an embedded SCT can go into a bundle');
    fail('SIGN_FAILED', 'Fulcio returned no certificate');
  }
  const chain = isObject(holder.chain) ? holder.chain.certificates : undefined;
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((c) => typeof c === 'string'))
    fail('SIGN_FAILED', 'Fulcio returned an empty certificate chain');
  const ders = (chain as string[]).flatMap((pem) =>
    decodePemAll(pem, 'CERT_MALFORMED')
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.der),
  );
  if (ders.length === 0) fail('SIGN_FAILED', 'Fulcio returned no PEM certificates');
  return ders;
}
