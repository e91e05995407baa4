/**
 * Minimal DER TLV walking for byte-exact splicing (the SCT pre-certificate TBS must be the original bytes minus
 * one extension; re-encoding through pkijs could change other encodings). Parsing proper stays with asn1js.
 */
import { fail } from '../errors.js';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  body: number;
  /** Offset just past the content. */
  end: number;
}

export function readTlv(b: Uint8Array, pos: number, limit = b.length): Tlv {
  const tag = b[pos];
  if (tag === undefined || (tag & 0x1f) === 0x1f) fail('CERT_MALFORMED', 'Unsupported DER tag');
  let p = pos + 1;
  const first = b[p++];
  if (first === undefined) fail('CERT_MALFORMED', 'Truncated DER');
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) fail('CERT_MALFORMED', 'Unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) {
      const x = b[p++];
      if (x === undefined) fail('CERT_MALFORMED', 'Truncated DER');
      len = len * 256 + x;
    }
    if (len < 0x80 || len < 256 ** (n - 1)) fail('CERT_MALFORMED', 'Non-minimal DER length');
  }
  const end = p + len;
  if (end > limit) fail('CERT_MALFORMED', 'DER element overruns its container');
  return { tag: tag!, start: pos, body: p, end };
}

export function children(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.body; p < parent.end; ) {
    const t = readTlv(b, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const len = encodeLength(content.length);
  const out = new Uint8Array(1 + len.length + content.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/** Checks that an element is DER-shaped all the way down: minimal lengths, constructed contents tile exactly. */
export function assertDer(b: Uint8Array, t: Tlv, depth = 0): void {
  if (depth > 32) fail('CERT_MALFORMED', 'DER nested too deeply');
  if ((t.tag & 0x20) === 0) return;
  for (const c of children(b, t)) assertDer(b, c, depth + 1);
}
