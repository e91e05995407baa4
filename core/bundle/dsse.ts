/** DSSE pre-authentication encoding. */
import { concatBytes, utf8Encode } from '../util/bytes.js';

/** PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in bytes. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8Encode(payloadType);
  return concatBytes(utf8Encode(`DSSEv1 ${type.length} `), type, utf8Encode(` ${payload.length} `), payload);
}

/**
 * The v0.2.0 reference signer's accidental encoding, kept only as a verification fallback (never produced):
 * `"DSSEV1 <len(type)> <type> <len(payload)> " + repr(payload)` where repr is Python's bytes repr.
 */
export function compatPae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8Encode(payloadType);
  return concatBytes(utf8Encode(`DSSEV1 ${type.length} ${payloadType} ${payload.length} `), utf8Encode(pythonBytesRepr(payload)));
}

/** Python's repr() of a bytes object. */
export function pythonBytesRepr(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = 'b' + quote;
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === quote.charCodeAt(0)) out += '\\' + quote;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += String.fromCharCode(c);
  }
  return out + quote;
}
