/**
 * Private keys in every form people have: SEC1 `EC PRIVATE KEY` (openssl ecparam -genkey, the reference's
 * fixtures), PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`, and encrypted PKCS#8 `ENCRYPTED PRIVATE KEY`.
 * WebCrypto imports only PKCS#8, so SEC1 and PKCS#1 are re-wrapped. Accepted: EC P-256/P-384/P-521 (the OMS
 * curves), RSA 2048–4096 bits and Ed25519, signed as core/crypto/key-signature.ts describes (as the Go port does).
 */
import * as asn1js from 'asn1js';
import { fail, isModelVerifyError } from '../errors.js';
import { p1363ToDer } from '../crypto/ecdsa-sig.js';
import { checkKeyType, pssSaltLengths } from '../crypto/key-signature.js';
import { CURVE_HASH, CURVE_SIZE, parseSpki, type Curve, type HashName, type KeyAlgorithm } from '../crypto/keys.js';
import { decodePemAll } from '../crypto/pem.js';
import { ab, concatBytes, equalBytes, fromBase64, plain } from '../util/bytes.js';
import { bitStringBytes, contextField, encode, octets, oid, parseDer, seq, smallInt } from './der.js';
import { decryptPkcs8 } from './pbes2.js';

const OID_EC = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_ED25519 = '1.3.101.112';
const CURVES: Record<string, Curve> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };
const CURVE_OID: Record<Curve, string> = { 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34', 'P-521': '1.3.132.0.35' };
const OTHER_CURVES: Record<string, string> = { '1.3.132.0.10': 'secp256k1', '1.2.840.10045.3.1.1': 'P-192', '1.3.132.0.33': 'P-224' };
const OTHER_KEYS: Record<string, string> = {
  '1.2.840.113549.1.1.10': 'RSA-PSS (restricted)',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.1': 'DSA',
};
/** SubjectPublicKeyInfo of an Ed25519 key is this fixed prefix and the 32-byte key (RFC 8410). */
const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * A private key ready for signing: its type, the matching public key (DER SPKI) and a function giving the
 * signature bytes a bundle carries (DER ECDSA-Sig-Value, RSA, Ed25519ph). WebCrypto keys are non-extractable;
 * an HSM key (node/pkcs11.ts) never leaves the token.
 */
export interface SigningKey {
  algorithm: KeyAlgorithm;
  spki: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** The WebCrypto private key, when the key is one (always non-extractable). */
  key?: CryptoKey;
  /** EC keys: the curve and the hash it signs with (the curve's, as model_signing); absent for RSA and Ed25519. */
  curve?: Curve;
  hash?: HashName;
}

/** RSA padding for new signatures: PKCS#1 v1.5 (the Go port's today, the default) or PSS (its earlier releases). */
export type RsaPadding = 'pkcs1v15' | 'pss';

function curveFromOid(o: string): Curve {
  const c = CURVES[o];
  if (!c) fail('KEY_UNSUPPORTED', `Unsupported key for curve '${OTHER_CURVES[o] ?? o}'`);
  return c;
}

export function spkiFromPoint(curve: Curve, point: Uint8Array): Uint8Array {
  return encode(
    new asn1js.Sequence({
      value: [
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_EC }), new asn1js.ObjectIdentifier({ value: CURVE_OID[curve] })] }),
        new asn1js.BitString({ valueHex: ab(point), unusedBits: 0 }),
      ],
    }),
  );
}

/** The parts of a SEC1 ECPrivateKey: scalar (left-padded to the curve size), optional curve and public point. */
function readSec1(der: Uint8Array, what: string): { d: Uint8Array; curveOid?: string; point?: Uint8Array } {
  const items = seq(parseDer(der, what), what, 2);
  if (smallInt(items[0], `${what} version`) !== 1) fail('KEY_MALFORMED', `${what}: unsupported ECPrivateKey version`);
  const d = octets(items[1], `${what} private scalar`);
  const params = contextField(items, 0);
  const pub = contextField(items, 1);
  return {
    d,
    ...(params ? { curveOid: oid(params, `${what} curve`) } : {}),
    ...(pub ? { point: bitStringBytes(pub, `${what} public key`) } : {}),
  };
}

function pkcs8FromScalar(curve: Curve, d: Uint8Array, point?: Uint8Array): Uint8Array {
  const size = CURVE_SIZE[curve];
  let s = d;
  while (s.length > size && s[0] === 0) s = s.subarray(1);
  if (s.length > size || s.length === 0) fail('KEY_MALFORMED', `The private key scalar does not fit curve ${curve}`);
  const padded = new Uint8Array(size);
  padded.set(s, size - s.length);
  const ecKey = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.OctetString({ valueHex: ab(padded) }),
      ...(point
        ? [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.BitString({ valueHex: ab(point), unusedBits: 0 })] })]
        : []),
    ],
  });
  return encode(
    new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_EC }), new asn1js.ObjectIdentifier({ value: CURVE_OID[curve] })] }),
        new asn1js.OctetString({ valueHex: ab(encode(ecKey)) }),
      ],
    }),
  );
}

/** The algorithm OID of a PrivateKeyInfo and its parameters; unknown algorithms are refused by name. */
function pkcs8Algorithm(der: Uint8Array): { alg: string; items: asn1js.AsnType[]; params?: asn1js.AsnType } {
  const items = seq(parseDer(der, 'Private key'), 'PrivateKeyInfo', 3);
  const [algOid, params] = seq(items[1], 'private key algorithm', 1);
  const alg = oid(algOid, 'private key algorithm');
  if (alg !== OID_EC && alg !== OID_RSA && alg !== OID_ED25519) {
    fail('KEY_UNSUPPORTED', `Only EC, RSA and Ed25519 keys are supported (this is ${OTHER_KEYS[alg] ?? alg})`);
  }
  return { alg, items, ...(params ? { params } : {}) };
}

/** PrivateKeyInfo (EC) → curve + scalar + embedded point; non-OMS curves are refused by name. */
function readEcPkcs8(items: asn1js.AsnType[], params: asn1js.AsnType | undefined): { curve: Curve; d: Uint8Array; point?: Uint8Array } {
  if (!params) fail('KEY_MALFORMED', 'The EC private key names no curve');
  const curve = curveFromOid(oid(params, 'private key curve'));
  const inner = readSec1(octets(items[2], 'private key'), 'EC private key');
  if (inner.curveOid && inner.curveOid !== CURVE_OID[curve]) fail('KEY_MALFORMED', 'The EC private key names two different curves');
  return { curve, d: inner.d, ...(inner.point ? { point: inner.point } : {}) };
}

/**
 * Imports a normalized PKCS#8 key: once extractable to learn the public point (WebCrypto derives it from the
 * scalar, whatever the file carried), once non-extractable for signing.
 */
async function importEc(curve: Curve, d: Uint8Array, embedded?: Uint8Array): Promise<SigningKey> {
  const pkcs8 = ab(pkcs8FromScalar(curve, d));
  const alg = { name: 'ECDSA', namedCurve: curve };
  let jwk: JsonWebKey;
  let key: CryptoKey;
  try {
    jwk = await crypto.subtle.exportKey('jwk', await crypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']));
    key = await crypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  } catch (e) {
    fail('KEY_MALFORMED', `The private key is not a valid ${curve} key: ${(e as Error).message}`);
  }
  const x = fromBase64(jwk.x, 'JWK x', 'KEY_MALFORMED');
  const y = fromBase64(jwk.y, 'JWK y', 'KEY_MALFORMED');
  const point = new Uint8Array(1 + x.length + y.length);
  point[0] = 0x04;
  point.set(x, 1);
  point.set(y, 1 + x.length);
  if (embedded && !equalBytes(embedded, point)) {
    fail('KEY_MALFORMED', 'The private key file is inconsistent: its embedded public key does not belong to its private scalar');
  }
  return ecSigningKey(curve, key, spkiFromPoint(curve, point));
}

function ecSigningKey(curve: Curve, key: CryptoKey, spki: Uint8Array): SigningKey {
  const hash = CURVE_HASH[curve];
  return {
    algorithm: { kind: 'ec', curve },
    curve,
    hash,
    spki,
    key,
    // plain(): the PAE as it is (a 22 MB statement is not copied a second time; WebCrypto copies it once).
    sign: async (data) => p1363ToDer(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash }, key, plain(data)))),
  };
}

/** PKCS#1 RSAPrivateKey → PKCS#8 PrivateKeyInfo (what WebCrypto imports). */
function pkcs8FromPkcs1(pkcs1: Uint8Array): Uint8Array {
  seq(parseDer(pkcs1, 'RSA private key'), 'RSAPrivateKey', 9);
  return encode(
    new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_RSA }), new asn1js.Null()] }),
        new asn1js.OctetString({ valueHex: ab(pkcs1) }),
      ],
    }),
  );
}

/**
 * RSA PKCS#8 → a SigningKey. The public key comes from the private key itself (JWK n, e), so it always matches;
 * keys outside 2048–4096 bits are refused before anything is signed.
 */
async function importRsa(pkcs8: Uint8Array, padding: RsaPadding): Promise<SigningKey> {
  const alg = { name: padding === 'pss' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  let spki: Uint8Array;
  let key: CryptoKey;
  try {
    const jwk = await crypto.subtle.exportKey('jwk', await crypto.subtle.importKey('pkcs8', ab(pkcs8), alg, true, ['sign']));
    const pub = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n!, e: jwk.e!, ext: true }, alg, true, ['verify']);
    spki = new Uint8Array(await crypto.subtle.exportKey('spki', pub));
    key = await crypto.subtle.importKey('pkcs8', ab(pkcs8), alg, false, ['sign']);
  } catch (e) {
    fail('KEY_MALFORMED', `The private key is not a valid RSA key: ${(e as Error).message}`);
  }
  const algorithm = parseSpki(spki).algorithm;
  checkKeyType(algorithm);
  const bits = algorithm.kind === 'rsa' ? algorithm.bits : 0;
  // PSS with the longest salt: what Go's rsa.SignPSS writes with default options (the Go port's earlier releases).
  const params = padding === 'pss' ? { name: 'RSA-PSS', saltLength: pssSaltLengths(bits).at(-1)! } : { name: 'RSASSA-PKCS1-v1_5' };
  return { algorithm, spki, key, sign: async (data) => new Uint8Array(await crypto.subtle.sign(params, key, plain(data))) };
}

/**
 * Ed25519 PKCS#8 (RFC 8410) → a SigningKey that signs Ed25519ph over SHA-512 of the data, as the Go port does.
 * WebCrypto has no Ed25519ph, so the seed is held by @noble/curves in this realm's memory (not a CryptoKey).
 */
async function importEd25519(items: asn1js.AsnType[]): Promise<SigningKey> {
  const inner = parseDer(octets(items[2], 'private key'), 'Ed25519 private key');
  const seed = octets(inner, 'Ed25519 private key');
  if (seed.length !== 32) fail('KEY_MALFORMED', 'An Ed25519 private key must be 32 bytes');
  const { ed25519ph } = await import('@noble/curves/ed25519.js');
  const pub = ed25519ph.getPublicKey(seed);
  // OneAsymmetricKey v2 may carry the public key in [1] IMPLICIT BIT STRING: it must be this key's.
  const embedded = items.find((it) => it.idBlock.tagClass === 3 && it.idBlock.tagNumber === 1);
  if (embedded) {
    const raw = new Uint8Array((embedded as asn1js.Primitive).valueBlock.valueHexView ?? []);
    if (!(raw.length === 33 && raw[0] === 0 && equalBytes(raw.subarray(1), pub))) {
      fail('KEY_MALFORMED', 'The private key file is inconsistent: its embedded public key does not belong to its private key');
    }
  }
  return { algorithm: { kind: 'ed25519' }, spki: concatBytes(ED25519_SPKI_PREFIX, pub), sign: async (data) => ed25519ph.sign(data, seed) };
}

/** A PrivateKeyInfo of any accepted type → SigningKey. */
async function fromPkcs8(der: Uint8Array, opts: PrivateKeyOptions): Promise<SigningKey> {
  const { alg, items, params } = pkcs8Algorithm(der);
  if (alg === OID_RSA) return importRsa(der, opts.rsaPadding ?? 'pkcs1v15');
  if (alg === OID_ED25519) return importEd25519(items);
  const k = readEcPkcs8(items, params);
  return importEc(k.curve, k.d, k.point);
}

export interface PrivateKeyOptions {
  /** Passphrase for an encrypted PKCS#8 key. */
  password?: string;
  /** Padding of RSA signatures (default PKCS#1 v1.5). */
  rsaPadding?: RsaPadding;
}

/**
 * Reads a PEM private key. Text around the PEM block is allowed (certtool dumps precede it). Every failure
 * is a typed error: KEY_MALFORMED, KEY_UNSUPPORTED (wrong algorithm, curve or RSA size), KEY_PASSWORD.
 */
export async function readPrivateKey(pem: string, opts: PrivateKeyOptions = {}): Promise<SigningKey> {
  const blocks = decodePemAll(pem).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (blocks.length === 0) fail('KEY_MALFORMED', 'No PEM private key found (expected EC PRIVATE KEY, RSA PRIVATE KEY, PRIVATE KEY or ENCRYPTED PRIVATE KEY)');
  if (blocks.length > 1) fail('KEY_MALFORMED', 'The file holds more than one private key');
  const block = blocks[0]!;
  try {
    switch (block.label) {
      case 'EC PRIVATE KEY': {
        const k = readSec1(block.der, 'EC private key');
        if (!k.curveOid) fail('KEY_MALFORMED', 'The SEC1 EC private key names no curve');
        return await importEc(curveFromOid(k.curveOid), k.d, k.point);
      }
      case 'RSA PRIVATE KEY':
        return await importRsa(pkcs8FromPkcs1(block.der), opts.rsaPadding ?? 'pkcs1v15');
      case 'PRIVATE KEY':
        return await fromPkcs8(block.der, opts);
      case 'ENCRYPTED PRIVATE KEY': {
        const inner = await decryptPkcs8(block.der, opts.password);
        try {
          pkcs8Algorithm(inner);
        } catch (e) {
          // Garbage that happened to have valid padding: still the wrong password.
          if (isModelVerifyError(e) && e.code === 'KEY_MALFORMED') fail('KEY_PASSWORD', 'Cannot decrypt the private key: wrong password?');
          throw e;
        }
        return await fromPkcs8(inner, opts);
      }
      case 'DSA PRIVATE KEY':
      case 'OPENSSH PRIVATE KEY':
        fail('KEY_UNSUPPORTED', `Only EC, RSA and Ed25519 keys in PEM (PKCS#8, SEC1 or PKCS#1) are supported (got ${block.label})`);
      default:
        fail('KEY_UNSUPPORTED', `Unsupported private key format ${block.label}`);
    }
  } catch (e) {
    if (isModelVerifyError(e)) throw e;
    fail('KEY_MALFORMED', `The private key cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

/** Imports a WebCrypto ECDSA key pair (e.g. a freshly generated one) as a SigningKey. */
export async function signingKeyFromPair(pair: CryptoKeyPair): Promise<SigningKey> {
  const alg = pair.privateKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || !(alg.namedCurve in CURVE_HASH)) fail('KEY_UNSUPPORTED', 'Only ECDSA P-256, P-384 and P-521 key pairs are supported');
  const curve = alg.namedCurve as Curve;
  return ecSigningKey(curve, pair.privateKey, new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)));
}

/**
 * A key held elsewhere (an HSM, a KMS): its public key (DER SPKI) and a function that signs as the bundle
 * needs (DER ECDSA-Sig-Value with the curve's hash, RSA PKCS#1 v1.5 SHA-256, Ed25519ph). The key type is
 * checked like a file key's.
 */
export function externalSigningKey(spki: Uint8Array, sign: (data: Uint8Array) => Promise<Uint8Array>): SigningKey {
  const { algorithm } = parseSpki(spki);
  checkKeyType(algorithm);
  return { algorithm, spki, sign, ...(algorithm.kind === 'ec' ? { curve: algorithm.curve, hash: CURVE_HASH[algorithm.curve] } : {}) };
}
