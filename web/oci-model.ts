/**
 * `oci://registry/repository:tag|@sha256:…` for the element: the image pinned to its manifest digest (core
 * OciSource: manifest and blobs checked against their digests as they stream), seen as the files its signature
 * names (layers, or a modelcar's tar entries), and the signature, which a registry has no standard place for: the
 * page gives its URL. The registry must answer this page's origin with CORS headers.
 */
import { ModelVerifyError } from '../core/index.js';
import { fetchBytes, OciSource } from '../core/sources/index.js';

/** True for `oci://…`. */
export function isOciSpec(s: string): boolean {
  return /^oci:\/\//i.test(s.trim());
}

export interface OpenedOci {
  source: OciSource;
  bundle: Uint8Array;
  /** `registry/repository@sha256:…`: what was verified. */
  location: string;
}

export async function openOciModel(
  spec: string,
  signatureUrl: string,
  o: { plainHttp?: boolean; token?: string; signal?: AbortSignal } = {},
): Promise<OpenedOci> {
  if (!signatureUrl.trim()) {
    throw new ModelVerifyError(
      'INPUT_MISSING',
      `No signature for ${spec.trim()}: a registry has no standard place for one — set the signature attribute to its URL`,
    );
  }
  const [image, bundle] = await Promise.all([
    OciSource.open(spec.trim(), {
      ...(o.plainHttp ? { plainHttp: true } : {}),
      ...(o.token ? { token: o.token } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    }),
    fetchBytes(signatureUrl, 'signature', o.signal ? { signal: o.signal } : {}),
  ]);
  return { source: await image.forSignature(bundle), bundle, location: image.location };
}
