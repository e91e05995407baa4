/**
 * The signature schemes of key and certificate signatures (a DSSE envelope signed with a bare key), as
 * model_signing and the Go port (sampras343/model-transparency-go) write them:
 *  - EC: ECDSA with the curve's hash, DER signature (model_signing; the Go port, every release).
 *  - RSA: PKCS#1 v1.5 with SHA-256 (the Go port since it signs through sigstore-go); RSA-PSS with SHA-256 (its
 *    earlier releases: rsa.SignPSS with default options, i.e. the longest salt; its verifier accepted any salt
 *    length, WebCrypto needs the length given, so the two lengths signers use are tried: the hash's and the longest).
 *  - Ed25519: Ed25519ph, pure Ed25519 over SHA-512(PAE) (the Go port's PKIX_ED25519_PH), and pure Ed25519 (its
 *    earlier releases). WebCrypto has no Ed25519ph in any runtime, so that one is @noble/curves, loaded on use;
 *    pure Ed25519 is WebCrypto where the runtime has it (Node 20+, Chromium, workerd), noble otherwise.
 * Key verification runs through here, so this module stays free of pkijs like keys.ts.
 */
import { fail } from '../errors.js';
import { ab, plain } from '../util/bytes.js';
import { derToP1363 } from './ecdsa-sig.js';
import { importVerifyKey } from './import-key.js';
import { CURVE_HASH, CURVE_SIZE, type HashName, type KeyAlgorithm, type PublicKeyInfo } from './keys.js';

export type KeyScheme = 'ecdsa' | 'rsa-pkcs1v15-sha256' | 'rsa-pss-sha256' | 'ed25519ph' | 'ed25519';

/** RSA modulus sizes accepted for signing and verification (Sigstore's RSA key details: 2048, 3072, 4096). */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

/** Refuses RSA keys outside 2048–4096 bits (KEY_UNSUPPORTED); EC curves and Ed25519 are checked where parsed. */
export function checkKeyType(alg: KeyAlgorithm): void {
  if (alg.kind === 'rsa' && !(alg.bits >= RSA_MIN_BITS && alg.bits <= RSA_MAX_BITS)) {
    fail('KEY_UNSUPPORTED', `RSA keys must have ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits (this one has ${alg.bits || 'an unreadable modulus'})`);
  }
}

/** A readable name for messages: "ECDSA P-256", "RSA 3072", "Ed25519". */
export function keyTypeName(alg: KeyAlgorithm): string {
  return alg.kind === 'ec' ? `ECDSA ${alg.curve}` : alg.kind === 'rsa' ? `RSA ${alg.bits}` : 'Ed25519';
}

/** PSS salt lengths to try: the hash length (32) and the longest the modulus allows (Go's and OpenSSL's default). */
export function pssSaltLengths(bits: number): number[] {
  const emLen = Math.ceil((bits - 1) / 8);
  const longest = emLen - 32 - 2;
  return longest > 32 ? [32, longest] : [32];
}

/** The scheme's import parameters for the key, through the shared cache. */
const importFor = (key: PublicKeyInfo, params: Algorithm | RsaHashedImportParams | EcKeyImportParams) => importVerifyKey(key.spki, params);

async function subtleVerify(k: CryptoKey, alg: Algorithm | RsaPssParams | EcdsaParams, sig: Uint8Array, data: Uint8Array): Promise<boolean> {
  try {
    return await crypto.subtle.verify(alg, k, ab(sig), plain(data));
  } catch {
    return false;
  }
}

/** The raw 32-byte Ed25519 key: the SPKI is a fixed 12-byte prefix and the key (RFC 8410). */
function ed25519Raw(key: PublicKeyInfo): Uint8Array {
  if (key.spki.length !== 44) fail('KEY_MALFORMED', 'An Ed25519 public key must be 32 bytes');
  return key.spki.subarray(12);
}

async function verifyEd25519(key: PublicKeyInfo, sig: Uint8Array, data: Uint8Array, prehashed: boolean): Promise<boolean> {
  if (sig.length !== 64) return false;
  if (!prehashed) {
    const k = await importFor(key, { name: 'Ed25519' });
    if (k) return subtleVerify(k, { name: 'Ed25519' }, sig, data);
  }
  const { ed25519, ed25519ph } = await import('@noble/curves/ed25519.js');
  try {
    // zip215:false: strict RFC 8032 (what Go's crypto/ed25519 and WebCrypto accept), no malleable encodings.
    return (prehashed ? ed25519ph : ed25519).verify(sig, data, ed25519Raw(key), { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Verifies a bare-key signature over `data` with every scheme the key's type is signed with (above), and says
 * which one matched; null when none does. `ecHash` overrides the curve's hash (v0.2 certificate signatures).
 * Malformed signatures are null, unusable keys typed errors.
 */
export async function verifyWithKey(key: PublicKeyInfo, sig: Uint8Array, data: Uint8Array, ecHash?: HashName): Promise<KeyScheme | null> {
  const alg = key.algorithm;
  checkKeyType(alg);
  if (alg.kind === 'ec') {
    let p1363: Uint8Array;
    try {
      p1363 = derToP1363(sig, CURVE_SIZE[alg.curve]);
    } catch {
      return null;
    }
    const hash = ecHash ?? CURVE_HASH[alg.curve];
    const k = await importFor(key, { name: 'ECDSA', namedCurve: alg.curve });
    return (await subtleVerify(k!, { name: 'ECDSA', hash } as EcdsaParams, p1363, data)) ? 'ecdsa' : null;
  }
  if (alg.kind === 'rsa') {
    if (sig.length !== Math.ceil(alg.bits / 8)) return null;
    const v15 = await importFor(key, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as RsaHashedImportParams);
    if (await subtleVerify(v15!, { name: 'RSASSA-PKCS1-v1_5' }, sig, data)) return 'rsa-pkcs1v15-sha256';
    const pss = await importFor(key, { name: 'RSA-PSS', hash: 'SHA-256' } as RsaHashedImportParams);
    for (const saltLength of pssSaltLengths(alg.bits)) {
      if (await subtleVerify(pss!, { name: 'RSA-PSS', saltLength } as RsaPssParams, sig, data)) return 'rsa-pss-sha256';
    }
    return null;
  }
  if (await verifyEd25519(key, sig, data, true)) return 'ed25519ph';
  if (await verifyEd25519(key, sig, data, false)) return 'ed25519';
  return null;
}
