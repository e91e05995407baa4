/**
 * Private keys in every form people have: SEC1 `EC PRIVATE KEY` (openssl ecparam -genkey, the reference's
 * fixtures), PKCS#8 `PRIVATE KEY`, and encrypted PKCS#8 `ENCRYPTED PRIVATE KEY`. WebCrypto imports only
 * PKCS#8, so SEC1 is re-wrapped. Only P-256/P-384/P-521 are accepted (the OMS curves).
 */
import * as asn1js from 'asn1js';
import { fail, isModelVerifyError } from '../errors.js';
import { CURVE_HASH, CURVE_SIZE, type Curve, type HashName } from '../crypto/keys.js';
import { decodePemAll } from '../crypto/pem.js';
import { ab, equalBytes, fromBase64 } from '../util/bytes.js';
import { bitStringBytes, contextField, encode, octets, oid, parseDer, seq, smallInt } from './der.js';
import { decryptPkcs8 } from './pbes2.js';

const OID_EC = '1.2.840.10045.2.1';
const CURVES: Record<string, Curve> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };
const CURVE_OID: Record<Curve, string> = { 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34', 'P-521': '1.3.132.0.35' };
const OTHER_CURVES: Record<string, string> = { '1.3.132.0.10': 'secp256k1', '1.2.840.10045.3.1.1': 'P-192', '1.3.132.0.33': 'P-224' };
const OTHER_KEYS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.1': 'DSA',
};

/** A private key ready for signing. `key` is non-extractable; `spki` is the matching public key (DER). */
export interface SigningKey {
  curve: Curve;
  hash: HashName;
  key: CryptoKey;
  spki: Uint8Array;
}

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

/** PrivateKeyInfo → curve + scalar + embedded point; non-EC and non-OMS curves are refused by name. */
function readPkcs8(der: Uint8Array): { curve: Curve; d: Uint8Array; point?: Uint8Array } {
  const items = seq(parseDer(der, 'Private key'), 'PrivateKeyInfo', 3);
  const [algOid, params] = seq(items[1], 'private key algorithm', 1);
  const alg = oid(algOid, 'private key algorithm');
  if (alg !== OID_EC) fail('KEY_UNSUPPORTED', `Only elliptic curve keys are supported (this is ${OTHER_KEYS[alg] ?? alg})`);
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
  return { curve, hash: CURVE_HASH[curve], key, spki: spkiFromPoint(curve, point) };
}

export interface PrivateKeyOptions {
  /** Passphrase for an encrypted PKCS#8 key. */
  password?: string;
}

/**
 * Reads a PEM private key. Text around the PEM block is allowed (certtool dumps precede it). Every failure
 * is a typed error: KEY_MALFORMED, KEY_UNSUPPORTED (wrong algorithm or curve), KEY_PASSWORD.
 */
export async function readPrivateKey(pem: string, opts: PrivateKeyOptions = {}): Promise<SigningKey> {
  const blocks = decodePemAll(pem).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (blocks.length === 0) fail('KEY_MALFORMED', 'No PEM private key found (expected EC PRIVATE KEY, PRIVATE KEY or ENCRYPTED PRIVATE KEY)');
  if (blocks.length > 1) fail('KEY_MALFORMED', 'The file holds more than one private key');
  const block = blocks[0]!;
  try {
    switch (block.label) {
      case 'EC PRIVATE KEY': {
        const k = readSec1(block.der, 'EC private key');
        if (!k.curveOid) fail('KEY_MALFORMED', 'The SEC1 EC private key names no curve');
        return await importEc(curveFromOid(k.curveOid), k.d, k.point);
      }
      case 'PRIVATE KEY': {
        const k = readPkcs8(block.der);
        return await importEc(k.curve, k.d, k.point);
      }
      case 'ENCRYPTED PRIVATE KEY': {
        const inner = await decryptPkcs8(block.der, opts.password);
        let k: ReturnType<typeof readPkcs8>;
        try {
          k = readPkcs8(inner);
        } catch (e) {
          // Garbage that happened to have valid padding: still the wrong password.
          if (isModelVerifyError(e) && e.code === 'KEY_MALFORMED') fail('KEY_PASSWORD', 'Cannot decrypt the private key: wrong password?');
          throw e;
        }
        return await importEc(k.curve, k.d, k.point);
      }
      case 'RSA PRIVATE KEY':
      case 'DSA PRIVATE KEY':
      case 'OPENSSH PRIVATE KEY':
        fail('KEY_UNSUPPORTED', `Only elliptic curve keys are supported (got ${block.label})`);
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
  return { curve, hash: CURVE_HASH[curve], key: pair.privateKey, spki: new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)) };
}
