/** The `certificate` mode's signer: the private key's signature and its X.509 chain in verificationMaterial. */
import { checkKeyType } from '../../crypto/key-signature.js';
import { decodePemAll, encodePem } from '../../crypto/pem.js';
import { fail } from '../../errors.js';
import { equalBytes, toBase64 } from '../../util/bytes.js';
import { certPublicKey, parseCertificate, type Certificate } from '../../x509/certificate.js';
import type { SigningKey } from '../private-key.js';
import { signWith, type BundleSigner } from '../signers.js';

/** Certificates from PEM texts, in order (leaf first when the caller passes it first). */
export function readCertificates(pems: readonly string[], what: string): Certificate[] {
  const out: Certificate[] = [];
  for (const text of pems) {
    for (const b of decodePemAll(text, 'CERT_MALFORMED')) {
      if (b.label === 'CERTIFICATE') out.push(parseCertificate(b.der, what));
    }
  }
  return out;
}

/**
 * `certificate` mode: the leaf must carry the private key's public key; the chain is copied after it
 * (`x509CertificateChain`, which is what the reference verifier reads).
 */
export function certificateSigner(key: SigningKey, leafPem: string, chainPems: readonly string[] = []): BundleSigner {
  const leaves = readCertificates([leafPem], 'The signing certificate');
  if (leaves.length === 0) fail('CERT_MALFORMED', 'The signing certificate file holds no PEM CERTIFICATE');
  const leaf = leaves[0]!;
  const chain = readCertificates(chainPems, 'A chain certificate').filter((c) => !equalBytes(c.der, leaf.der));
  const certKey = certPublicKey(leaf);
  checkKeyType(certKey.algorithm);
  if (!equalBytes(certKey.spki, key.spki)) {
    fail('KEY_MISMATCH', 'The public key from the certificate does not match the public key paired with the private key');
  }
  const all = [leaf, ...chain];
  return {
    method: 'certificate',
    sign: (data) => signWith(key, data),
    verificationMaterial: async () => ({
      x509CertificateChain: { certificates: all.map((c) => ({ rawBytes: toBase64(c.der) })) },
      tlogEntries: [],
    }),
    // The topmost certificate we were given stands in for the user's trust anchor, which we do not have.
    selfCheckPolicy: () => ({ method: 'certificate', anchors: [encodePem('CERTIFICATE', all[all.length - 1]!.der)] }),
  };
}
