/** DSSE pre-authentication encoding. */
import { concatBytes, equalBytes, utf8Encode } from '../util/bytes.js';

/** PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = paeHeader(payloadType, payload.length);
  // A payload the bundle reader decoded right behind its header (reader.ts) is already its PAE: no copy of MiBs.
  const buf = payload.buffer;
  if (buf instanceof ArrayBuffer && payload.byteOffset === head.length && buf.byteLength === head.length + payload.length) {
    const whole = new Uint8Array(buf);
    if (equalBytes(whole.subarray(0, head.length), head)) return whole;
  }
  return concatBytes(head, payload);
}

/** Everything of PAE(type, body) before the body, for a body of `length` bytes. */
export function paeHeader(payloadType: string, length: number): Uint8Array<ArrayBuffer> {
  const type = utf8Encode(payloadType);
  return concatBytes(utf8Encode(`DSSEv1 ${type.length} `), type, utf8Encode(` ${length} `));
}

/**
 * The v0.2.0 reference signer's accidental encoding, kept only as a verification fallback (never produced):
 * `"DSSEV1 <len(type)> <type> <len(payload)> " + repr(payload)` where repr is Python's bytes repr.
 * Any bundle whose standard signature fails reaches this, so it is written straight into one buffer of
 * the exact size (at most 4 bytes per payload byte) instead of growing a string byte by byte.
 */
export function compatPae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8Encode(payloadType);
  const head = utf8Encode(`DSSEV1 ${type.length} ${payloadType} ${payload.length} `);
  const quote = reprQuote(payload);
  let n = 3; // b, and the two quotes
  for (const c of payload) n += reprWidth(c, quote);
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  writeRepr(payload, quote, out, head.length);
  return out;
}

/** Python's repr() of a bytes object. */
export function pythonBytesRepr(b: Uint8Array): string {
  const quote = reprQuote(b);
  let n = 3;
  for (const c of b) n += reprWidth(c, quote);
  const out = new Uint8Array(n);
  writeRepr(b, quote, out, 0);
  return new TextDecoder().decode(out); // ASCII only
}

/** Python picks `"` only when the bytes contain `'` and no `"`. */
function reprQuote(b: Uint8Array): number {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  return hasSingle && !hasDouble ? 0x22 : 0x27;
}

function reprWidth(c: number, quote: number): number {
  if (c === 0x5c || c === quote || c === 0x09 || c === 0x0a || c === 0x0d) return 2;
  return c < 0x20 || c >= 0x7f ? 4 : 1;
}

const HEXDIGITS = '0123456789abcdef';

function writeRepr(b: Uint8Array, quote: number, out: Uint8Array, at: number): void {
  let o = at;
  out[o++] = 0x62; // b
  out[o++] = quote;
  for (const c of b) {
    if (c === 0x5c || c === quote) {
      out[o++] = 0x5c;
      out[o++] = c;
    } else if (c === 0x09 || c === 0x0a || c === 0x0d) {
      out[o++] = 0x5c;
      out[o++] = c === 0x09 ? 0x74 : c === 0x0a ? 0x6e : 0x72; // t n r
    } else if (c < 0x20 || c >= 0x7f) {
      out[o++] = 0x5c;
      out[o++] = 0x78; // x
      out[o++] = HEXDIGITS.charCodeAt(c >> 4);
      out[o++] = HEXDIGITS.charCodeAt(c & 15);
    } else {
      out[o++] = c;
    }
  }
  out[o++] = quote;
}
