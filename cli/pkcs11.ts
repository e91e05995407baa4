/**
 * `sign pkcs11-key` and `sign pkcs11-certificate` (the Go port's commands): the signer for a key in a PKCS#11
 * token (node/pkcs11.ts), named by `--pkcs11-uri` (RFC 7512) and loaded from the URI's module-path or
 * `--module-path`. The session is closed once the bundle's verification material is made (right after signing).
 */
import { ModelVerifyError } from '../core/errors.js';
import { certificateSigner, keySigner, type BundleSigner } from '../core/index.js';
import { readText } from './read-input.js';

export interface Pkcs11CliOptions {
  pkcs11Uri?: string;
  modulePath?: string;
  signingCertificate?: string;
  certificateChain?: string[];
}

export async function pkcs11Signer(method: 'pkcs11-key' | 'pkcs11-certificate', o: Pkcs11CliOptions): Promise<BundleSigner> {
  if (!o.pkcs11Uri) throw new ModelVerifyError('POLICY_INVALID', "Missing option '--pkcs11-uri'");
  let leaf: string | undefined;
  let chain: string[] = [];
  if (method === 'pkcs11-certificate') {
    if (!o.signingCertificate) throw new ModelVerifyError('POLICY_INVALID', "Missing option '--signing-certificate'");
    leaf = await readText(o.signingCertificate, 'signing certificate');
    chain = await Promise.all((o.certificateChain ?? []).map((c) => readText(c, 'certificate chain')));
  }
  const { openPkcs11Key } = await import('../node/pkcs11.js');
  const p11 = await openPkcs11Key({ uri: o.pkcs11Uri, ...(o.modulePath ? { modulePath: o.modulePath } : {}) });
  let inner: BundleSigner;
  try {
    inner = leaf === undefined ? keySigner(p11.key) : certificateSigner(p11.key, leaf, chain);
  } catch (e) {
    p11.close();
    throw e;
  }
  return {
    method: inner.method,
    sign: (data) => inner.sign(data),
    selfCheckPolicy: () => inner.selfCheckPolicy(),
    async verificationMaterial(envelope, signal) {
      p11.close(); // the last use of the token: signPayload signs first, then asks for the material
      return inner.verificationMaterial(envelope, signal);
    },
  };
}
