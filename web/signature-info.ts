/**
 * What a picked signature says about itself before any policy is given: which verification method it needs.
 * Read with core's bundle reader only (no signature check): the page uses it to ask for the right inputs,
 * never as a verdict.
 */
import { bundleMethod, parseBundle, toModelVerifyError, type ModelVerifyError } from '../core/index.js';
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

/** The method a bundle needs (core's bundleMethod: from its verification material alone, no X.509 parsing). */
export function readSignatureInfo(bytes: Uint8Array, from: string): SignatureInfo {
  const b = parseBundle(bytes);
  const method = bundleMethod(b);
  const hint = b.material.kind === 'publicKey' ? b.material.hint : null;
  return { method, from, ...(hint ? { keyHint: hint } : {}) };
}

/** readSignatureInfo, or the typed error that says why the file is not a usable signature. */
export function trySignatureInfo(bytes: Uint8Array, from: string): { info: SignatureInfo } | { error: ModelVerifyError } {
  try {
    return { info: readSignatureInfo(bytes, from) };
  } catch (e) {
    return { error: toModelVerifyError(e) };
  }
}
