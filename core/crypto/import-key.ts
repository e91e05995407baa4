/**
 * WebCrypto verify keys, imported once per SPKI and import parameters (RSA binds its hash at import time).
 * Shared by key signatures (key-signature.ts) and certificate/log signatures (verify.ts); free of pkijs so the
 * key path stays light. Resolves null where the runtime lacks Ed25519; other failures are KEY_MALFORMED.
 */
import { fail } from '../errors.js';
import { ab } from '../util/bytes.js';

const imported = new Map<string, Promise<CryptoKey | null>>();
/** Bounded: a long-lived Worker verifying many bundles must not keep every key it ever saw. */
const MAX_KEYS = 256;

export function importVerifyKey(spki: Uint8Array, params: Algorithm | EcKeyImportParams | RsaHashedImportParams): Promise<CryptoKey | null> {
  const hash = 'hash' in params ? String(params.hash) : '';
  const curve = 'namedCurve' in params ? params.namedCurve : '';
  const id = `${params.name}/${hash}/${curve}/${spki.join(',')}`;
  let p = imported.get(id);
  if (!p) {
    p = crypto.subtle.importKey('spki', ab(spki), params, false, ['verify']).catch((e: Error) => {
      if (params.name === 'Ed25519' && e.name === 'NotSupportedError') return null;
      fail('KEY_MALFORMED', `Public key cannot be imported: ${e.message}`);
    });
    if (imported.size >= MAX_KEYS) imported.clear();
    imported.set(id, p);
  }
  return p;
}
