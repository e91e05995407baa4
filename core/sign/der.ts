/** Small asn1js helpers for the private-key structures (PKCS#8, SEC1, PBES2) the signer reads and writes. */
import * as asn1js from 'asn1js';
import { fail, type ErrorCode } from '../errors.js';
import { ab } from '../util/bytes.js';

/** Parses one complete DER value; trailing bytes or a parse error are a typed error. */
export function parseDer(der: Uint8Array, what: string, code: ErrorCode = 'KEY_MALFORMED'): asn1js.AsnType {
  const asn = asn1js.fromBER(ab(der));
  if (asn.offset === -1 || asn.offset !== der.length) fail(code, `${what} is not valid DER`);
  return asn.result;
}

export function seq(v: unknown, what: string, min = 0): asn1js.AsnType[] {
  if (!(v instanceof asn1js.Sequence)) fail('KEY_MALFORMED', `${what}: expected a SEQUENCE`);
  const items = v.valueBlock.value;
  if (items.length < min) fail('KEY_MALFORMED', `${what}: too few fields`);
  return items;
}

export function oid(v: unknown, what: string): string {
  if (!(v instanceof asn1js.ObjectIdentifier)) fail('KEY_MALFORMED', `${what}: expected an OBJECT IDENTIFIER`);
  return v.valueBlock.toString();
}

export function octets(v: unknown, what: string): Uint8Array {
  if (!(v instanceof asn1js.OctetString)) fail('KEY_MALFORMED', `${what}: expected an OCTET STRING`);
  return new Uint8Array(v.valueBlock.valueHexView);
}

/** A non-negative INTEGER that fits a JS safe integer (iteration counts, versions, scrypt parameters). */
export function smallInt(v: unknown, what: string): number {
  if (!(v instanceof asn1js.Integer)) fail('KEY_MALFORMED', `${what}: expected an INTEGER`);
  const big = v.toBigInt();
  if (big < 0n || big > BigInt(Number.MAX_SAFE_INTEGER)) fail('KEY_MALFORMED', `${what}: INTEGER out of range`);
  return Number(big);
}

/** The content of a context-specific explicit tag [n], or undefined when the field is absent. */
export function contextField(items: asn1js.AsnType[], tag: number): asn1js.AsnType | undefined {
  for (const it of items) {
    if (it.idBlock.tagClass === 3 && it.idBlock.tagNumber === tag && it instanceof asn1js.Constructed) return it.valueBlock.value[0];
  }
  return undefined;
}

export function bitStringBytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof asn1js.BitString) || v.valueBlock.unusedBits !== 0) fail('KEY_MALFORMED', `${what}: expected a whole-byte BIT STRING`);
  return new Uint8Array(v.valueBlock.valueHexView);
}

export function encode(v: asn1js.AsnType): Uint8Array {
  return new Uint8Array(v.toBER(false));
}
