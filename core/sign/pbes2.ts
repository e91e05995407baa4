/**
 * Encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, RFC 8018 PBES2): PBKDF2 or scrypt, then AES-CBC.
 * PBKDF2 and AES-CBC run on WebCrypto; scrypt (what `openssl pkcs8 -scrypt` writes) comes from
 * @noble/hashes because WebCrypto has no scrypt. Parameters are bounded: a hostile file must not be able
 * to make us spin for hours or allocate gigabytes.
 */
import { fail } from '../errors.js';
import { ab, utf8Encode } from '../util/bytes.js';
import { octets, oid, parseDer, seq, smallInt } from './der.js';

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11';
const PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'SHA-1',
  '1.2.840.113549.2.9': 'SHA-256',
  '1.2.840.113549.2.10': 'SHA-384',
  '1.2.840.113549.2.11': 'SHA-512',
};
const AES_CBC: Record<string, number> = {
  '2.16.840.1.101.3.4.1.2': 16,
  '2.16.840.1.101.3.4.1.22': 24,
  '2.16.840.1.101.3.4.1.42': 32,
};
const CIPHER_NAMES: Record<string, string> = { '1.2.840.113549.3.7': 'des-ede3-cbc', '1.3.14.3.2.7': 'des-cbc' };

export const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** scrypt memory is 128·N·r bytes; 512 MiB covers every common setting (OpenSSL: N=2^14, r=8). */
export const MAX_SCRYPT_BYTES = 512 * 1024 * 1024;

type Kdf = { kind: 'pbkdf2'; salt: Uint8Array; iterations: number; hash: string } | { kind: 'scrypt'; salt: Uint8Array; N: number; r: number; p: number };

function readKdf(alg: unknown): Kdf {
  const [idNode, paramsNode] = seq(alg, 'PBES2 key derivation function', 2);
  const id = oid(idNode, 'PBES2 key derivation function');
  const params = seq(paramsNode, 'key derivation parameters', 2);
  const salt = octets(params[0], 'key derivation salt');
  if (id === OID_PBKDF2) {
    const iterations = smallInt(params[1], 'PBKDF2 iteration count');
    if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) fail('KEY_UNSUPPORTED', `PBKDF2 iteration count ${iterations} is out of the supported range`);
    let hash = 'SHA-1'; // RFC 8018 default PRF
    for (const extra of params.slice(2)) {
      // Optional keyLength INTEGER, then optional prf AlgorithmIdentifier.
      if (extra.idBlock.tagNumber === 16) {
        const prfOid = oid(seq(extra, 'PBKDF2 PRF', 1)[0], 'PBKDF2 PRF');
        const h = PRF[prfOid];
        if (!h) fail('KEY_UNSUPPORTED', `Unsupported PBKDF2 PRF ${prfOid}`);
        hash = h;
      }
    }
    return { kind: 'pbkdf2', salt, iterations, hash };
  }
  if (id === OID_SCRYPT) {
    if (params.length < 4) fail('KEY_MALFORMED', 'scrypt parameters: too few fields');
    const N = smallInt(params[1], 'scrypt cost');
    const r = smallInt(params[2], 'scrypt block size');
    const p = smallInt(params[3], 'scrypt parallelization');
    if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || p > 16 || 128 * N * r > MAX_SCRYPT_BYTES) {
      fail('KEY_UNSUPPORTED', `scrypt parameters N=${N} r=${r} p=${p} are out of the supported range`);
    }
    return { kind: 'scrypt', salt, N, r, p };
  }
  fail('KEY_UNSUPPORTED', `Unsupported key derivation function ${id} (PBKDF2 and scrypt are supported)`);
}

async function deriveKey(kdf: Kdf, password: string, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const pw = utf8Encode(password);
  if (kdf.kind === 'scrypt') {
    // Loaded for scrypt keys only: every other key (`sign key` of a plain PEM) would load it at start-up.
    const { scryptAsync } = await import('@noble/hashes/scrypt.js');
    return ab(await scryptAsync(pw, kdf.salt, { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: length }));
  }
  const base = await crypto.subtle.importKey('raw', pw, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: kdf.hash, salt: ab(kdf.salt), iterations: kdf.iterations }, base, length * 8);
  return new Uint8Array(bits);
}

/** Decrypts an EncryptedPrivateKeyInfo (DER) and returns the inner PrivateKeyInfo DER. */
export async function decryptPkcs8(der: Uint8Array, password: string | undefined): Promise<Uint8Array> {
  const [algNode, dataNode] = seq(parseDer(der, 'Encrypted private key'), 'EncryptedPrivateKeyInfo', 2);
  const [schemeNode, schemeParams] = seq(algNode, 'encryption algorithm', 1);
  const scheme = oid(schemeNode, 'encryption algorithm');
  if (scheme !== OID_PBES2)
    fail('KEY_UNSUPPORTED', `Unsupported private key encryption ${scheme}: re-encrypt it with PBES2 (openssl pkcs8 -topk8 -v2 aes-256-cbc)`);
  const [kdfNode, cipherNode] = seq(schemeParams, 'PBES2 parameters', 2);
  const kdf = readKdf(kdfNode);
  const [cipherOidNode, ivNode] = seq(cipherNode, 'PBES2 encryption scheme', 2);
  const cipher = oid(cipherOidNode, 'PBES2 encryption scheme');
  const keyLength = AES_CBC[cipher];
  if (!keyLength) fail('KEY_UNSUPPORTED', `Unsupported private key cipher ${CIPHER_NAMES[cipher] ?? cipher}: re-encrypt it with aes-256-cbc`);
  const iv = octets(ivNode, 'AES-CBC IV');
  if (iv.length !== 16) fail('KEY_MALFORMED', 'AES-CBC IV must be 16 bytes');
  const data = octets(dataNode, 'encrypted private key data');
  if (password === undefined) fail('KEY_PASSWORD', 'The private key is encrypted: a password is needed');

  const keyBytes = await deriveKey(kdf, password, keyLength);
  let aes: CryptoKey;
  try {
    aes = await crypto.subtle.importKey('raw', keyBytes, 'AES-CBC', false, ['decrypt']);
  } catch (e) {
    fail('KEY_UNSUPPORTED', `This runtime cannot use AES-${keyLength * 8}-CBC: ${(e as Error).message}; re-encrypt the key with aes-256-cbc`);
  }
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: ab(iv) }, aes, ab(data)));
  } catch {
    // Bad padding after decryption: almost always the wrong password.
    fail('KEY_PASSWORD', 'Cannot decrypt the private key: wrong password?');
  }
}
