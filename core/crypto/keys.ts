/**
 * Public keys for WebCrypto: SPKI parsing, algorithm detection, import, verification.
 * The SPKI reader is written here rather than taken from asn1js, which does not fit two budgets: the element's
 * initial download for key verification (≤ 60 kB gzip, issue 11; asn1js alone is 18.5 kB of it) and the CLI's
 * start-up (loading and first running asn1js, ~140 kB, was ~10 ms of `verify key`). It reads strict DER only
 * (definite, minimal lengths), exactly the fields of RFC 5280's SubjectPublicKeyInfo and AlgorithmIdentifier with
 * the parameters each algorithm's RFC gives them, nothing after them; every read is bounded by the TLV around it.
 * tests/core/spki-der.test.ts checks it against the asn1js reading it replaced (pkijs's schemas): it never accepts
 * what that refused nor reads a key differently; what only asn1js took (BER lengths, fields beyond the schema, an
 * RSA key with odd parameters or a malformed RSAPublicKey inside) is now KEY_MALFORMED.
 */
import { fail } from '../errors.js';
import { sha256, toHex, utf8Encode } from '../util/bytes.js';
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

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;

class DerError extends Error {}

/** One TLV: its tag byte and where its contents start and end. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The TLV at `pos`, which must end by `end` (its parent's end). Low tag numbers only (all SPKI uses). */
function readTlv(der: Uint8Array, pos: number, end: number): Tlv {
  if (pos + 2 > end) throw new DerError('truncated');
  const tag = der[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag number');
  if (tag === 0) throw new DerError('end-of-contents (BER only)');
  let len = der[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 is BER's indefinite length; more than 3 length bytes is over 16 MiB, far beyond any key.
    if (n === 0 || n > 3 || p + n > end) throw new DerError('bad length');
    if (der[p] === 0) throw new DerError('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p++]!;
    if (len < 0x80) throw new DerError('non-minimal length');
  }
  if (len > end - p) throw new DerError('truncated');
  return { tag, start: p, end: p + len };
}

/** Dotted text of an OBJECT IDENTIFIER's contents (minimal base-128 arcs; BigInt so no arc is rounded). */
function oidText(der: Uint8Array, t: Tlv): string {
  if (t.start === t.end) throw new DerError('empty OID');
  const arcs: string[] = [];
  let v = 0n;
  let fresh = true;
  for (let i = t.start; i < t.end; i++) {
    const b = der[i]!;
    if (fresh && b === 0x80) throw new DerError('non-minimal OID arc');
    v = (v << 7n) | BigInt(b & 0x7f);
    fresh = !(b & 0x80);
    if (!fresh) continue;
    if (arcs.length === 0) arcs.push(v < 40n ? '0' : v < 80n ? '1' : '2', String(v < 80n ? v % 40n : v - 80n));
    else arcs.push(String(v));
    v = 0n;
  }
  if (!fresh) throw new DerError('truncated OID');
  return arcs.join('.');
}

interface SpkiFields {
  algorithmId: string;
  /** The parameters' TLV when present (EC: the curve's OID). */
  params?: Tlv;
  /** The subject public key's bytes (after the BIT STRING's unused-bits byte). */
  key: Uint8Array;
}

function readSpki(der: Uint8Array): SpkiFields {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== TAG_SEQUENCE || outer.end !== der.length) throw new DerError('not a SEQUENCE');
  const alg = readTlv(der, outer.start, outer.end);
  if (alg.tag !== TAG_SEQUENCE) throw new DerError('no AlgorithmIdentifier');
  const oid = readTlv(der, alg.start, alg.end);
  if (oid.tag !== TAG_OID) throw new DerError('no algorithm OID');
  let params: Tlv | undefined;
  if (oid.end < alg.end) {
    params = readTlv(der, oid.end, alg.end);
    if (params.end !== alg.end) throw new DerError('extra AlgorithmIdentifier fields');
  }
  const bits = readTlv(der, alg.end, outer.end);
  if (bits.tag !== TAG_BIT_STRING || bits.end !== outer.end || bits.start === bits.end) throw new DerError('no subjectPublicKey');
  const unused = der[bits.start]!;
  if (unused > 7 || (unused !== 0 && bits.end - bits.start === 1)) throw new DerError('bad BIT STRING');
  return { algorithmId: oidText(der, oid), ...(params ? { params } : {}), key: der.subarray(bits.start + 1, bits.end) };
}

/** Parses DER SubjectPublicKeyInfo and names its algorithm. Unsupported algorithms are typed errors. */
export function parseSpki(der: Uint8Array): PublicKeyInfo {
  let spki: SpkiFields;
  try {
    spki = readSpki(der);
  } catch {
    fail('KEY_MALFORMED', 'Public key is not a valid DER SubjectPublicKeyInfo');
  }
  const oid = spki.algorithmId;
  const p = spki.params;
  // The parameters as each algorithm's RFC has them: RSA NULL (or absent, as some encoders write it), Ed25519
  // absent (RFC 8410), EC a named curve (RFC 5480; any other form is an unsupported curve, as before).
  const nullOrAbsent = p === undefined || (p.tag === TAG_NULL && p.start === p.end);
  if ((oid === OID_RSA && !nullOrAbsent) || (oid === OID_ED25519 && p !== undefined)) {
    fail('KEY_MALFORMED', 'Public key is not a valid DER SubjectPublicKeyInfo (its algorithm parameters)');
  }
  if (oid === OID_EC) {
    let curveOid = '';
    try {
      if (p?.tag === TAG_OID) curveOid = oidText(der, p);
    } catch {
      fail('KEY_MALFORMED', 'Public key is not a valid DER SubjectPublicKeyInfo (its curve)');
    }
    const curve = CURVE_OIDS[curveOid];
    if (!curve) fail('KEY_UNSUPPORTED', `Unsupported key for curve '${CURVE_NAMES[curveOid] ?? (curveOid || 'unknown')}'`);
    return { spki: der, algorithm: { kind: 'ec', curve } };
  }
  if (oid === OID_RSA) return { spki: der, algorithm: { kind: 'rsa', bits: rsaModulusBits(spki.key) } };
  if (oid === OID_ED25519) return { spki: der, algorithm: { kind: 'ed25519' } };
  fail('KEY_UNSUPPORTED', `Unsupported public key algorithm ${oid}`);
}

/** Modulus size of a PKCS#1 RSAPublicKey: exactly SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
function rsaModulusBits(key: Uint8Array): number {
  let n: Tlv;
  try {
    const seq = readTlv(key, 0, key.length);
    if (seq.tag !== TAG_SEQUENCE || seq.end !== key.length) throw new DerError('not an RSAPublicKey');
    n = readTlv(key, seq.start, seq.end);
    const e = readTlv(key, n.end, seq.end);
    if (n.tag !== TAG_INTEGER || e.tag !== TAG_INTEGER || n.start === n.end || e.start === e.end || e.end !== seq.end) {
      throw new DerError('not an RSAPublicKey');
    }
  } catch {
    fail('KEY_MALFORMED', 'Public key is not a valid DER SubjectPublicKeyInfo (its RSA key)');
  }
  let i = n.start;
  while (i < n.end && key[i] === 0) i++;
  if (i === n.end) return 0;
  // Exact bit length (PSS's encoded-message length depends on it), not the byte count times 8.
  return (n.end - i - 1) * 8 + (32 - Math.clz32(key[i]!));
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
