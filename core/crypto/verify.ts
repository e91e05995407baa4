/**
 * Signature verification over WebCrypto for every scheme Sigstore uses (ECDSA DER, RSA PKCS#1 v1.5 and PSS,
 * Ed25519), plus pre-hashed ECDSA via @noble/curves (WebCrypto always hashes its input itself).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { fail } from '../errors.js';
import { ab, plain } from '../util/bytes.js';
import { derToP1363 } from './ecdsa-sig.js';
import { importVerifyKey } from './import-key.js';
import { CURVE_HASH, CURVE_SIZE, parseSpki, type HashName, type PublicKeyInfo } from './keys.js';

export type SignatureScheme =
  | { name: 'ECDSA'; hash: HashName }
  | { name: 'RSASSA-PKCS1-v1_5'; hash: HashName }
  | { name: 'RSA-PSS'; hash: HashName; saltLength: number }
  | { name: 'Ed25519' };

const HASH_BYTES: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** The scheme a key signs with when nothing else says: the curve's hash for EC (as model_signing does). */
export function defaultScheme(key: PublicKeyInfo): SignatureScheme {
  switch (key.algorithm.kind) {
    case 'ec':
      return { name: 'ECDSA', hash: CURVE_HASH[key.algorithm.curve] };
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

const SIG_OIDS: Record<string, SignatureScheme> = {
  '1.2.840.10045.4.3.2': { name: 'ECDSA', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA', hash: 'SHA-512' },
  '1.2.840.113549.1.1.11': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  '1.3.101.112': { name: 'Ed25519' },
};
export const DIGEST_OIDS: Record<string, HashName> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

/** Scheme named by an X.509/CMS signature AlgorithmIdentifier; `digest` resolves bare key-type OIDs (CMS). */
export function schemeFromAlgorithm(alg: pkijs.AlgorithmIdentifier, digest?: HashName): SignatureScheme {
  const oid = alg.algorithmId;
  const known = SIG_OIDS[oid];
  if (known) return known;
  if (oid === '1.2.840.10045.2.1' && digest) return { name: 'ECDSA', hash: digest };
  if (oid === '1.2.840.113549.1.1.1' && digest) return { name: 'RSASSA-PKCS1-v1_5', hash: digest };
  if (oid === '1.2.840.113549.1.1.10') {
    try {
      const p = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
      const hash = DIGEST_OIDS[p.hashAlgorithm.algorithmId];
      if (hash) return { name: 'RSA-PSS', hash, saltLength: p.saltLength };
    } catch {
      /* fall through */
    }
  }
  fail('KEY_UNSUPPORTED', `Unsupported signature algorithm ${oid}`);
}

/** Wraps a raw PKCS#1 RSAPublicKey into SubjectPublicKeyInfo (WebCrypto imports SPKI only). */
export function rsaPkcs1ToSpki(pkcs1: Uint8Array): Uint8Array {
  const spki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.1.1' }), new asn1js.Null()] }),
      new asn1js.BitString({ valueHex: ab(pkcs1) }),
    ],
  });
  return new Uint8Array(spki.toBER(false));
}

/** The raw public key bytes inside SPKI (EC point, Ed25519 key). */
export function rawPublicKey(key: PublicKeyInfo): Uint8Array {
  const asn = asn1js.fromBER(ab(key.spki));
  const info = new pkijs.PublicKeyInfo({ schema: asn.result });
  return new Uint8Array(info.subjectPublicKey.valueBlock.valueHexView);
}

function importParams(key: PublicKeyInfo, s: SignatureScheme): Algorithm | EcKeyImportParams | RsaHashedImportParams {
  if (s.name === 'ECDSA') {
    if (key.algorithm.kind !== 'ec') fail('KEY_MISMATCH', 'An ECDSA signature needs an EC key');
    return { name: 'ECDSA', namedCurve: key.algorithm.curve };
  }
  if (s.name === 'Ed25519') {
    if (key.algorithm.kind !== 'ed25519') fail('KEY_MISMATCH', 'An Ed25519 signature needs an Ed25519 key');
    return { name: 'Ed25519' };
  }
  if (key.algorithm.kind !== 'rsa') fail('KEY_MISMATCH', 'An RSA signature needs an RSA key');
  return { name: s.name, hash: s.hash };
}

/** Imported keys are cached per SPKI and scheme (import-key.ts). null = runtime lacks it. */
function importKey(key: PublicKeyInfo, s: SignatureScheme): Promise<CryptoKey | null> {
  return importVerifyKey(key.spki, importParams(key, s));
}

/**
 * Verifies `sig` over `data`. False for a signature that does not verify (including malformed DER);
 * typed errors for keys that cannot be used with the scheme.
 */
export async function verifyBytes(key: PublicKeyInfo, scheme: SignatureScheme, sig: Uint8Array, data: Uint8Array): Promise<boolean> {
  let sigBytes: Uint8Array<ArrayBuffer> = ab(sig);
  if (scheme.name === 'ECDSA') {
    if (key.algorithm.kind !== 'ec') fail('KEY_MISMATCH', 'An ECDSA signature needs an EC key');
    try {
      sigBytes = derToP1363(sig, CURVE_SIZE[key.algorithm.curve]);
    } catch {
      return false;
    }
  }
  const k = await importKey(key, scheme);
  if (k === null) {
    // Ed25519 without WebCrypto support (older browsers): strict RFC 8032 semantics.
    try {
      return ed25519.verify(sig, data, rawPublicKey(key), { zip215: false });
    } catch {
      return false;
    }
  }
  const alg =
    scheme.name === 'RSA-PSS'
      ? { name: 'RSA-PSS', saltLength: scheme.saltLength }
      : scheme.name === 'ECDSA'
        ? { name: 'ECDSA', hash: scheme.hash }
        : { name: scheme.name };
  try {
    // plain(): the data as it is unless it must be copied (a view into part of a buffer, or a shared one); a DSSE
    // PAE of a 100k-file statement is 22 MB, which WebCrypto copies once already.
    return await crypto.subtle.verify(alg, k, sigBytes, plain(data));
  } catch {
    return false;
  }
}

const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

/** ECDSA over a digest the caller computed (conformance DIGEST mode). WebCrypto cannot do this; noble can. */
export function verifyEcdsaPrehashed(key: PublicKeyInfo, digest: Uint8Array, derSig: Uint8Array): boolean {
  if (key.algorithm.kind !== 'ec') fail('UNSUPPORTED', 'Verifying a signature from a digest alone is only possible for ECDSA keys');
  const size = CURVE_SIZE[key.algorithm.curve];
  let sig: Uint8Array;
  try {
    sig = derToP1363(derSig, size);
  } catch {
    return false;
  }
  try {
    // lowS:false matches OpenSSL/Go/WebCrypto, which accept high-S signatures.
    return NOBLE[key.algorithm.curve].verify(sig, digest, rawPublicKey(key), { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

const NOBLE_HASH = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;

/** Digest; small inputs hash synchronously (@noble/hashes), since an async WebCrypto call costs more than they do. */
export async function digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  if (data.length <= 16384) return NOBLE_HASH[hash](data);
  return new Uint8Array(await crypto.subtle.digest(hash, plain(data)));
}

export function hashLength(hash: HashName): number {
  return HASH_BYTES[hash];
}

export { parseSpki };
