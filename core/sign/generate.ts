/** Fresh signing keys (the browser Sign page offers one when the user has none). */
import { encodePem } from '../crypto/pem.js';
import type { Curve } from '../crypto/keys.js';
import { signingKeyFromPair, type SigningKey } from './private-key.js';

export interface GeneratedKey {
  signingKey: SigningKey;
  /** PKCS#8 PEM of the private key, for the user to keep. */
  privateKeyPem: string;
  /** SPKI PEM of the public key, for verifiers. */
  publicKeyPem: string;
}

export async function generateSigningKey(curve: Curve = 'P-256'): Promise<GeneratedKey> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
  const signingKey = await signingKeyFromPair(pair);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { signingKey, privateKeyPem: encodePem('PRIVATE KEY', pkcs8), publicKeyPem: encodePem('PUBLIC KEY', signingKey.spki) };
}
