/**
 * Public keys for WebCrypto: SPKI parsing (asn1js), algorithm detection, import, verification.
 * Key verification runs through here, so this module stays free of pkijs (hundreds of kB): the schemas below
 * are pkijs's PublicKeyInfo/AlgorithmIdentifier/RSAPublicKey schemas, matched with the same asn1js
 * compareSchema, so exactly the same inputs are accepted and refused.
 */
import * as asn1js from 'asn1js';
import { fail } from '../errors.js';
import { ab, sha256, toHex, utf8Encode } from '../util/bytes.js';
import { decodePem, encodePem } from './pem.js';

export type Curve = 'P-256' | 'P-384' | 'P-521';
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

const CURVE_OIDS: Record<string, Curve> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};
const CURVE_NAMES: Record<string, string> = { '1.3.132.0.10': 'secp256k1' };
export const CURVE_HASH: Record<Curve, HashName> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };
export const CURVE_SIZE: Record<Curve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

export type KeyAlgorithm = { kind: 'ec'; curve: Curve } | { kind: 'rsa'; bits: number } | { kind: 'ed25519' };

export interface PublicKeyInfo {
  spki: Uint8Array;
  algorithm: KeyAlgorithm;
}

const OID_EC = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_ED25519 = '1.3.101.112';

/** pkijs PublicKeyInfo.schema() with AlgorithmIdentifier.schema() inside (names as pkijs's fromSchema uses them). */
function spkiSchema(): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        name: 'algorithm',
        value: [new asn1js.ObjectIdentifier({ name: 'algorithmId' }), new asn1js.Any({ name: 'algorithmParams', optional: true })],
      }),
      new asn1js.BitString({ name: 'subjectPublicKey' }),
    ],
  });
}

interface SpkiFields {
  algorithmId: string;
  algorithmParams?: asn1js.AsnType;
  subjectPublicKey: asn1js.BitString;
}

/** Parses DER SubjectPublicKeyInfo and names its algorithm. Unsupported algorithms are typed errors. */
export function parseSpki(der: Uint8Array): PublicKeyInfo {
  let spki: SpkiFields;
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('bad DER');
    const m = asn1js.compareSchema(asn.result, asn.result, spkiSchema());
    if (!m.verified) throw new Error('not a SubjectPublicKeyInfo');
    // compareSchema names the matched blocks on the root it was given.
    const r = m.result as unknown as { algorithmId: asn1js.ObjectIdentifier; algorithmParams?: asn1js.AsnType; subjectPublicKey: asn1js.BitString };
    spki = {
      algorithmId: r.algorithmId.valueBlock.toString(),
      subjectPublicKey: r.subjectPublicKey,
      ...('algorithmParams' in r ? { algorithmParams: r.algorithmParams } : {}),
    };
  } catch {
    fail('KEY_MALFORMED', 'Public key is not a valid DER SubjectPublicKeyInfo');
  }
  const oid = spki.algorithmId;
  if (oid === OID_EC) {
    const params = spki.algorithmParams;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : '';
    const curve = CURVE_OIDS[curveOid];
    if (!curve) fail('KEY_UNSUPPORTED', `Unsupported key for curve '${CURVE_NAMES[curveOid] ?? (curveOid || 'unknown')}'`);
    return { spki: der, algorithm: { kind: 'ec', curve } };
  }
  if (oid === OID_RSA) {
    const bits = rsaModulusBits(spki);
    return { spki: der, algorithm: { kind: 'rsa', bits } };
  }
  if (oid === OID_ED25519) return { spki: der, algorithm: { kind: 'ed25519' } };
  fail('KEY_UNSUPPORTED', `Unsupported public key algorithm ${oid}`);
}

/** Modulus size of a PKCS#1 RSAPublicKey inside the SPKI bit string; 0 when it cannot be read (as pkijs's parsedKey). */
function rsaModulusBits(spki: SpkiFields): number {
  try {
    const asn = asn1js.fromBER(spki.subjectPublicKey.valueBlock.valueHexView);
    if (asn.offset === -1) return 0;
    const schema = new asn1js.Sequence({ value: [new asn1js.Integer({ name: 'modulus' }), new asn1js.Integer({ name: 'publicExponent' })] });
    const m = asn1js.compareSchema(asn.result, asn.result, schema);
    if (!m.verified) return 0;
    const n = (m.result as unknown as { modulus: asn1js.Integer }).modulus.valueBlock.valueHexView;
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    if (i === n.length) return 0;
    // Exact bit length (PSS's encoded-message length depends on it), not the byte count times 8.
    return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
  } catch {
    return 0;
  }
}

/** Reads a PEM public key (leading text allowed). Accepts `PUBLIC KEY` (SPKI) and a certificate's key. */
export function publicKeyFromPem(text: string): PublicKeyInfo {
  const block = decodePem(text, ['PUBLIC KEY'], 'Public key');
  return parseSpki(block.der);
}

/** Key hint used by model_signing: lowercase hex SHA-256 of the canonical SPKI PEM text. */
export async function keyHint(spki: Uint8Array): Promise<string> {
  return toHex(await sha256(utf8Encode(encodePem('PUBLIC KEY', spki))));
}
