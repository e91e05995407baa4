/** Byte helpers over web-standard APIs only (no Buffer: core runs in browsers and workerd). */
import { fail, type ErrorCode } from '../errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Parses hex in either case; returns null on anything that is not an even-length run of hex digits. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Decodes protobuf-JSON `bytes`: standard base64 with padding is what writers emit; URL-safe and unpadded
 * input is accepted as the protobuf JSON mapping requires. Anything else is a typed error, never garbage.
 */
export function fromBase64(b64: unknown, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): Uint8Array {
  if (typeof b64 !== 'string') fail(code, `${what} must be a base64 string`);
  let s = b64.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail(code, `${what} is not valid base64`);
  s = s.replace(/=+$/, '');
  if (s.length % 4 === 1) fail(code, `${what} is not valid base64`);
  s += '='.repeat((4 - (s.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    fail(code, `${what} is not valid base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  const CH = 0x8000;
  for (let i = 0; i < bytes.length; i += CH) bin += String.fromCharCode(...bytes.subarray(i, i + CH));
  return btoa(bin);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

const utf8 = new TextEncoder();
export function utf8Encode(s: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(s) as Uint8Array<ArrayBuffer>;
}

/** Strict UTF-8 decode: invalid sequences are an error instead of U+FFFD replacement. */
export function utf8Decode(b: Uint8Array, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    fail(code, `${what} is not valid UTF-8`);
  }
}

/** A copy whose buffer is a plain ArrayBuffer of exactly its length (what WebCrypto's typings want). */
export function ab(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b) as Uint8Array<ArrayBuffer>;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', ab(data)));
}
