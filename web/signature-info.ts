/**
 * What a picked signature says about itself before any policy is given: which verification method it needs.
 * Read with core's bundle reader only (no signature check): the page uses it to ask for the right inputs,
 * never as a verdict.
 */
import { parseBundle, toModelVerifyError, type ModelVerifyError } from '../core/index.js';
import type { Policy } from '../core/policy/index.js';

export type SignatureMethod = Policy['method'];

export interface SignatureInfo {
  method: SignatureMethod;
  /** Where the signature came from, for people ("model.sig inside my-model", a URL). */
  from: string;
  /** For a key signature: the key's hint (fingerprint) the signer wrote into the bundle, if any. */
  keyHint?: string;
}

/** Plain words for the detected method, for the page's "Signed with …" line. */
export const METHOD_WORDS: Record<SignatureMethod, string> = {
  sigstore: 'Signed with a Sigstore identity',
  key: 'Signed with a key',
  certificate: 'Signed with a certificate',
};

/**
 * The method a bundle needs: a bare key hint → key; one leaf certificate (bundle v0.3) → Sigstore; a certificate
 * chain → Sigstore when the bundle carries transparency-log entries (older Sigstore bundles), otherwise a
 * certificate signed by the user's own CA.
 */
export function readSignatureInfo(bytes: Uint8Array, from: string): SignatureInfo {
  const b = parseBundle(bytes);
  const m = b.material;
  if (m.kind === 'publicKey') return { method: 'key', from, ...(m.hint ? { keyHint: m.hint } : {}) };
  if (m.kind === 'certificate') return { method: 'sigstore', from };
  return { method: b.tlogEntries.length > 0 ? 'sigstore' : 'certificate', from };
}

/** readSignatureInfo, or the typed error that says why the file is not a usable signature. */
export function trySignatureInfo(bytes: Uint8Array, from: string): { info: SignatureInfo } | { error: ModelVerifyError } {
  try {
    return { info: readSignatureInfo(bytes, from) };
  } catch (e) {
    return { error: toModelVerifyError(e) };
  }
}
