/**
 * ECDSA signature encodings. Bundles carry DER `ECDSA-Sig-Value`; WebCrypto speaks IEEE P1363 (r||s).
 * Hand-written on purpose: it is ~40 lines, must be strict (a lenient DER decoder is a signature
 * malleability bug) and asn1js would accept non-minimal encodings we must refuse.
 */
import { fail } from '../errors.js';

function readLength(der: Uint8Array, pos: number): [len: number, next: number] {
  const b = der[pos];
  if (b === undefined) fail('SIGNATURE_INVALID', 'Truncated DER signature');
  if (b < 0x80) return [b, pos + 1];
  if (b === 0x81) {
    const l = der[pos + 1];
    if (l === undefined || l < 0x80) fail('SIGNATURE_INVALID', 'Non-minimal DER length in signature');
    return [l, pos + 2];
  }
  fail('SIGNATURE_INVALID', 'Unsupported DER length in signature');
}

function readInteger(der: Uint8Array, pos: number, size: number): [value: Uint8Array, next: number] {
  if (der[pos] !== 0x02) fail('SIGNATURE_INVALID', 'DER signature: expected INTEGER');
  const [len, start] = readLength(der, pos + 1);
  const end = start + len;
  if (len === 0 || end > der.length) fail('SIGNATURE_INVALID', 'DER signature: bad INTEGER length');
  let v = der.subarray(start, end);
  if (v[0]! & 0x80) fail('SIGNATURE_INVALID', 'DER signature: negative INTEGER');
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) fail('SIGNATURE_INVALID', 'DER signature: non-minimal INTEGER');
  if (v[0] === 0 && v.length > 1) v = v.subarray(1);
  if (v.length > size) fail('SIGNATURE_INVALID', 'DER signature: INTEGER larger than the curve order');
  const out = new Uint8Array(size);
  out.set(v, size - v.length);
  return [out, end];
}

/** DER SEQUENCE{r,s} → r||s, each left-padded to the curve's coordinate size. */
export function derToP1363(der: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  if (der[0] !== 0x30) fail('SIGNATURE_INVALID', 'Signature is not a DER ECDSA-Sig-Value');
  const [len, body] = readLength(der, 1);
  if (body + len !== der.length) fail('SIGNATURE_INVALID', 'DER signature has trailing or missing bytes');
  const [r, afterR] = readInteger(der, body, size);
  const [s, afterS] = readInteger(der, afterR, size);
  if (afterS !== der.length) fail('SIGNATURE_INVALID', 'DER signature has trailing bytes');
  const out = new Uint8Array(size * 2);
  out.set(r, 0);
  out.set(s, size);
  return out;
}

function encodeInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const pad = body[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

/** r||s → DER SEQUENCE{r,s}, minimal encoding. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  const size = sig.length / 2;
  const r = encodeInteger(sig.subarray(0, size));
  const s = encodeInteger(sig.subarray(size));
  const len = r.length + s.length;
  const head = len < 0x80 ? [0x30, len] : [0x30, 0x81, len];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  out.set(r, head.length);
  out.set(s, head.length + r.length);
  return out;
}
