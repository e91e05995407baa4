/**
 * Keyless signing: an ephemeral P-256 key (non-extractable), a Fulcio certificate for the OIDC identity,
 * a Rekor `dsse` entry (v1, or v2 when the signing config selects it) and an RFC 3161 timestamp when configured
 * (always with Rekor v2, which records no time). Shared by the CLI and the browser;
 * `fetch` is injectable so tests (and a same-origin proxy) can route the requests.
 */
import { encodePem } from '../../crypto/pem.js';
import { fail } from '../../errors.js';
import { fromBase64, toBase64, equalBytes } from '../../util/bytes.js';
import { certPublicKey, parseCertificate } from '../../x509/certificate.js';
import { fulcioIdentity } from '../../x509/fulcio.js';
import { signingKeyFromPair } from '../private-key.js';
import { ecdsaSign, type BundleSigner } from '../signers.js';
import { requestCertificate } from './fulcio.js';
import type { Fetch } from './http.js';
import { uploadDsse, uploadDsseV2 } from './rekor.js';
import type { SigningServices } from './services.js';
import { popSubject, readToken } from './token.js';
import { requestTimestamp } from './tsa.js';

export interface KeylessOptions {
  /** OIDC identity token (audience `sigstore` for the public instance). */
  identityToken: string;
  services: SigningServices;
  /** Trust material the new bundle must verify against (default: the embedded production root). */
  trustedRoot?: unknown;
  /** Ask the TSA for a timestamp when one is configured (default true). */
  timestamp?: boolean;
  fetch?: Fetch;
  signal?: AbortSignal;
}

export interface KeylessSigner extends BundleSigner {
  /** The identity Fulcio certified (first SAN) and the OIDC issuer recorded in the certificate. */
  readonly identity: string;
  readonly issuer: string;
  readonly certificate: Uint8Array;
}

export async function keylessSigner(o: KeylessOptions): Promise<KeylessSigner> {
  const f: Fetch = o.fetch ?? ((url, init) => fetch(url, init));
  const claims = readToken(o.identityToken);
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const key = await signingKeyFromPair(pair);
  const chain = await requestCertificate(f, o.services.fulcio, o.identityToken.trim(), popSubject(claims), key, o.signal);
  const leaf = parseCertificate(chain[0]!, 'The Fulcio certificate');
  if (!equalBytes(certPublicKey(leaf).spki, key.spki)) fail('SIGN_FAILED', 'Fulcio certified a different public key than ours');
  const id = fulcioIdentity(leaf);
  if (!id.sans[0] || !id.issuer) fail('SIGN_FAILED', 'The Fulcio certificate carries no identity or issuer');
  const leafPem = encodePem('CERTIFICATE', leaf.der);
  const tsa = o.timestamp === false && o.services.rekorVersion !== 2 ? undefined : o.services.tsa;
  if (o.services.rekorVersion === 2 && !tsa) fail('POLICY_INVALID', 'Rekor v2 records no signing time: a timestamp authority is required');

  return {
    method: 'sigstore',
    identity: id.sans[0],
    issuer: id.issuer,
    certificate: leaf.der,
    ...(o.trustedRoot !== undefined ? { trustedRoot: o.trustedRoot } : {}),
    sign: (data) => ecdsaSign(key, data),
    async verificationMaterial(envelope, signal) {
      const s = signal ?? o.signal;
      const entry =
        o.services.rekorVersion === 2
          ? await uploadDsseV2(f, o.services.rekor, envelope, leaf.der, s)
          : await uploadDsse(f, o.services.rekor, envelope, leafPem, s);
      const material: Record<string, unknown> = { certificate: { rawBytes: toBase64(leaf.der) }, tlogEntries: [entry] };
      if (tsa) {
        const sig = fromBase64(envelope.signatures[0]!.sig, 'signature');
        material.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: toBase64(await requestTimestamp(f, tsa, sig, s)) }] };
      }
      return material;
    },
    selfCheckPolicy: () => ({ method: 'sigstore', identity: id.sans[0]!, issuer: id.issuer! }),
  };
}
