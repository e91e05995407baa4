/**
 * Step 2: the signing certificate. A Fulcio leaf chains to a trusted-root CA valid at every verified time, every
 * certificate in the path is valid at that time, its SCTs verify, and it may sign code.
 */
import { fail, ModelVerifyError } from '../errors.js';
import { buildChain } from '../x509/chain.js';
import { extKeyUsage, keyUsage, OID, type Certificate } from '../x509/certificate.js';
import { OID_ISSUER_V1, OID_ISSUER_V2 } from '../x509/fulcio.js';
import { verifyScts } from './sct.js';
import { within, type TrustRoot } from './trust-root.js';
import type { VerifiedTime } from './times.js';

/** Fulcio marks its own extensions non-critical; the SAN is critical and understood. */
const FULCIO_KNOWN = [OID_ISSUER_V1, OID_ISSUER_V2];

async function chainAt(leaf: Certificate, at: Date, trust: TrustRoot): Promise<Certificate[]> {
  const cas = trust.cas.filter((ca) => within(ca.validFor, at));
  if (cas.length === 0) fail('CERT_CHAIN_UNTRUSTED', `No trusted certificate authority was valid at ${at.toISOString()}`);
  let firstError: ModelVerifyError | undefined;
  for (const ca of cas) {
    try {
      // Only the trusted root's certificates are used: intermediates shipped in a bundle prove nothing.
      return await buildChain(leaf, ca.certs.slice(0, -1), ca.certs.slice(-1), { time: at, knownCritical: FULCIO_KNOWN });
    } catch (e) {
      if (e instanceof ModelVerifyError) firstError ??= e;
      else throw e;
    }
  }
  throw firstError ?? new ModelVerifyError('CERT_CHAIN_UNTRUSTED', 'The signing certificate does not chain to a trusted Sigstore CA');
}

export async function verifySigningCertificate(leaf: Certificate, times: VerifiedTime[], trust: TrustRoot): Promise<Certificate[]> {
  let chain: Certificate[] | undefined;
  for (const t of times) chain = await chainAt(leaf, t.at, trust);
  if (!chain || chain.length < 2) fail('CERT_CHAIN_UNTRUSTED', 'The signing certificate is itself a trust anchor, not a Fulcio leaf');
  const ku = keyUsage(leaf);
  if (!ku?.digitalSignature) fail('CERT_USAGE', 'The signing certificate lacks KeyUsage digitalSignature');
  if (!extKeyUsage(leaf)?.includes(OID.codeSigning)) fail('CERT_USAGE', 'The signing certificate lacks ExtendedKeyUsage codeSigning');
  await verifyScts(leaf, chain[1]!, trust);
  return chain;
}
