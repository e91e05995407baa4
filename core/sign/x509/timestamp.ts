/** RFC 3161 timestamps on key and certificate signatures (the TSA client is keyless signing's: ../keyless/tsa.ts). */
import { fromBase64, toBase64 } from '../../util/bytes.js';
import type { Fetch } from '../keyless/http.js';
import { requestTimestamp } from '../keyless/tsa.js';
import type { BundleSigner } from '../signers.js';

/**
 * Adds an RFC 3161 timestamp over the DSSE signature to a key or certificate signer's bundle
 * (`timestampVerificationData.rfc3161Timestamps`, as Sigstore bundles carry it; the Go port's `--tsa-url`).
 */
export function withTimestamp(signer: BundleSigner, tsaUrl: string, fetchFn?: Fetch): BundleSigner {
  const f: Fetch = fetchFn ?? ((url, init) => fetch(url, init));
  return {
    ...signer,
    sign: (data) => signer.sign(data),
    selfCheckPolicy: () => signer.selfCheckPolicy(),
    async verificationMaterial(envelope, signal) {
      const material = await signer.verificationMaterial(envelope, signal);
      const sig = fromBase64(envelope.signatures[0]!.sig, 'signature');
      const token = await requestTimestamp(f, tsaUrl, sig, signal);
      return { ...material, timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: toBase64(token) }] } };
    },
  };
}
