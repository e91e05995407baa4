/** Byte helpers over web-standard APIs only (no Buffer: core runs in browsers and workerd). */
import { fail, type ErrorCode } from '../errors.js';

const HEX_CHARS = new TextEncoder().encode('0123456789abcdef');
const HEX_TEXT = new TextDecoder();
/** Scratch for the hex of a digest-sized input (toHex is synchronous, so one buffer serves every call). */
const hexScratch = new Uint8Array(256);

/**
 * Lowercase hex, written as bytes and decoded once: `s += pair` per byte built a 32-piece rope per digest that
 * cost ~6 µs to flatten later (0.6 s for the 100k digests of a signature's manifest).
 */
export function toHex(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = 2 * n <= hexScratch.length ? hexScratch : new Uint8Array(2 * n);
  writeHex(bytes, 0, n, out, 0);
  return HEX_TEXT.decode(out.subarray(0, 2 * n));
}

/** Lowercase hex of bytes[from, to) as ASCII bytes into `out` at `o` (the caller has checked it fits); returns the end. */
export function writeHex(bytes: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    out[o++] = HEX_CHARS[b >> 4]!;
    out[o++] = HEX_CHARS[b & 15]!;
  }
  return o;
}

/** Value of each ASCII hex digit, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * Parses hex in either case; returns null on anything that is not an even-length run of hex digits.
 * Table-driven: a 200k-resource manifest decodes 6.4M digest bytes, which parseInt(slice) made take seconds.
 */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  return hexInto(hex, out, 0) ? out : null;
}

/**
 * Decodes even-length hex into `out` at `at` (the caller has checked it fits); false on any non-hex digit. For
 * callers that pack many digests into one buffer without an array per digest.
 */
export function hexInto(hex: string, out: Uint8Array, at: number): boolean {
  const n = hex.length >> 1;
  for (let i = 0; i < n; i++) {
    const a = hex.charCodeAt(2 * i);
    const b = hex.charCodeAt(2 * i + 1);
    const hi = a < 128 ? HEX_VALUE[a]! : -1;
    const lo = b < 128 ? HEX_VALUE[b]! : -1;
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
/** Value of each base64 byte, standard (+ /) and URL-safe (- _) alike; -1 for anything else. */
const B64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[ALPHABET[i]!] = i;
B64_VALUE[0x2d] = 62; // -
B64_VALUE[0x5f] = 63; // _

const asciiOut = new TextEncoder();
/** Characters of base64 text copied into bytes at a time (a multiple of 4, so groups never straddle two copies). */
const B64_STEP = 1 << 16;

/*
 * Long base64 goes two characters at a time, through tables of every pair (12 bits ↔ two characters as one 16-bit
 * unit), in 16-bit scratch copied to and from the text natively (typed arrays need alignment; the text is at any
 * offset). A 100k-file statement is 22 MB, encoded and decoded once each when signing: per-character loops took
 * ~100 ms each way, these ~40. The tables (a 64K-entry one) are made on first use, and only for text of
 * PAIR_MIN characters or more: made at load they cost every start-up ~2 ms, more than short text ever saves.
 * They follow the platform's byte order, so a unit's first character is always the one at the lower address.
 */
const PAIR_MIN = 1 << 18;
/** Flag in a pair's value for a character outside both alphabets (above any 12-bit value). */
const PAIR_BAD = 1 << 12;

interface PairTables {
  /** Scratch of B64_STEP characters as 16-bit units, and the same bytes. */
  readonly units: Uint16Array;
  readonly bytes: Uint8Array;
  /** The 12 bits of two characters read as one 16-bit unit, or PAIR_BAD. */
  readonly values: Int16Array;
  /** The two characters (as one 16-bit unit) of 12 bits. */
  readonly chars: Uint16Array;
}

let made: PairTables | undefined;
/** The tables, read into locals by the loops (bundlers turn module constants into `var`s, reloaded on every use). */
function pairTables(): PairTables {
  if (made) return made;
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const units = new Uint16Array(B64_STEP / 2);
  const values = new Int16Array(1 << 16);
  for (let u = 0; u < 1 << 16; u++) {
    const a = B64_VALUE[le ? u & 0xff : u >> 8]!;
    const b = B64_VALUE[le ? u >> 8 : u & 0xff]!;
    values[u] = a < 0 || b < 0 ? PAIR_BAD : (a << 6) | b;
  }
  const chars = new Uint16Array(1 << 12);
  for (let v = 0; v < 1 << 12; v++) {
    const a = ALPHABET[v >> 6]!;
    const b = ALPHABET[v & 63]!;
    chars[v] = le ? a | (b << 8) : (a << 8) | b;
  }
  made = { units, bytes: new Uint8Array(units.buffer), values, chars };
  return made;
}

/** Copies the characters src[from, to) (whole groups, at most B64_STEP) into the unit scratch; returns the groups. */
function copyUnits(t: PairTables, src: Uint8Array, from: number, to: number): number {
  t.bytes.set(src.subarray(from, to));
  return (to - from) >> 2;
}

/**
 * Decodes protobuf-JSON `bytes`: standard base64 with padding is what writers emit; URL-safe and unpadded
 * input is accepted as the protobuf JSON mapping requires. Anything else is a typed error, never garbage.
 * Written out rather than atob, which goes through a binary string as long as the output and then a copy per
 * byte (0.3 s and 17 MB of garbage for a 100k-file signature): the text is copied natively into a small buffer
 * 64 KiB at a time (encodeInto; a non-ASCII character takes more than one byte, so it shows in the counts)
 * and decoded from there into the output. Like atob, the unused low bits of a final partial group are ignored;
 * unlike it, whitespace is refused.
 */
export function fromBase64(b64: unknown, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): Uint8Array {
  if (typeof b64 !== 'string') fail(code, `${what} must be a base64 string`);
  const body = base64Body(b64.length, (i) => b64.charCodeAt(i));
  const tail = body % 4;
  if (tail === 1) fail(code, `${what} is not valid base64`);
  const out = new Uint8Array(decodedLength(body));
  const buf = new Uint8Array(Math.min(B64_STEP, body));
  let o = 0;
  for (let at = 0; at < body; at += B64_STEP) {
    const end = Math.min(at + B64_STEP, body);
    const n = end - at;
    // All n units read into exactly n bytes: every one was ASCII.
    const r = asciiOut.encodeInto(b64.slice(at, end), buf);
    if (r.read !== n || r.written !== n) fail(code, `${what} is not valid base64`);
    o = decodeGroups(buf, 0, n, out, o, what, code);
  }
  return out;
}

/**
 * fromBase64 of base64 text given as its ASCII bytes (a range of a signature file: the DSSE payload, which is then
 * never made into a string), decoded into a new buffer `before` bytes from its start (room for a header the caller
 * writes there, such as DSSE's PAE prefix). Same rules and messages as fromBase64; returns the decoded bytes.
 */
export function fromBase64Ascii(src: Uint8Array, what: string, code: ErrorCode = 'BUNDLE_MALFORMED', before = 0): Uint8Array<ArrayBuffer> {
  const body = base64Body(src.length, (i) => src[i]!);
  if (body % 4 === 1) fail(code, `${what} is not valid base64`);
  const out = new Uint8Array(before + decodedLength(body));
  decodeGroups(src, 0, body, out, before, what, code);
  return out.subarray(before);
}

/**
 * Whether base64 text given as ASCII bytes decodes (by fromBase64Ascii's rules) to exactly `expected`, decoded a
 * piece at a time into a small buffer rather than into a copy as large as `expected`. False for anything invalid.
 */
export function base64AsciiEquals(src: Uint8Array, expected: Uint8Array): boolean {
  const body = base64Body(src.length, (i) => src[i]!);
  if (body % 4 === 1 || decodedLength(body) !== expected.length) return false;
  const full = body - (body % 4);
  let o = 0;
  let from = 0;
  if (full >= PAIR_MIN) {
    const t = pairTables();
    const { units, values } = t;
    for (; from < full; from += B64_STEP) {
      const groups = copyUnits(t, src, from, Math.min(from + B64_STEP, full));
      let bad = 0;
      let diff = 0;
      for (let g = 0; g < groups; g++) {
        const hi = values[units[2 * g]!]!;
        const lo = values[units[2 * g + 1]!]!;
        bad |= hi | lo;
        diff |= ((hi << 12) | lo) ^ ((expected[o]! << 16) | (expected[o + 1]! << 8) | expected[o + 2]!);
        o += 3;
      }
      if (bad & PAIR_BAD || diff !== 0) return false;
    }
    from = full;
  }
  // Short text, and the final partial group: decoded by the one set of rules, then compared.
  const rest = new Uint8Array(expected.length - o);
  try {
    if (decodeGroups(src, from, body, rest, 0, '', 'BUNDLE_MALFORMED') !== rest.length) return false;
  } catch {
    return false;
  }
  for (let k = 0; k < rest.length; k++) if (rest[k] !== expected[o + k]) return false;
  return true;
}

/** What fromBase64Ascii will decode `src` to, in bytes; -1 when its length cannot be base64. */
export function base64AsciiLength(src: Uint8Array): number {
  const body = base64Body(src.length, (i) => src[i]!);
  return body % 4 === 1 ? -1 : decodedLength(body);
}

/** Characters before the padding: at most two '=' at the end are padding, the rest must be of the alphabet. */
function base64Body(length: number, at: (i: number) => number): number {
  let body = length;
  while (body > 0 && length - body < 2 && at(body - 1) === 0x3d) body--;
  return body;
}

/** Bytes that `body` characters of base64 (padding removed; body % 4 !== 1) decode to. */
const decodedLength = (body: number): number => ((body - (body % 4)) / 4) * 3 + (body % 4 === 0 ? 0 : (body % 4) - 1);

/**
 * Decodes the base64 characters (ASCII bytes) src[from, to) into `out` at `o`; returns where it stopped writing. Only
 * the last piece of a text may end in a partial group (B64_STEP is a multiple of 4).
 */
function decodeGroups(src: Uint8Array, from: number, to: number, out: Uint8Array, o: number, what: string, code: ErrorCode): number {
  const full = to - ((to - from) % 4);
  let i = from;
  if (full - from >= PAIR_MIN) {
    const t = pairTables();
    const { units, values } = t;
    for (; i < full; i += B64_STEP) {
      const groups = copyUnits(t, src, i, Math.min(i + B64_STEP, full));
      let bad = 0;
      for (let g = 0; g < groups; g++) {
        const hi = values[units[2 * g]!]!;
        const lo = values[units[2 * g + 1]!]!;
        bad |= hi | lo;
        out[o] = hi >> 4;
        out[o + 1] = ((hi & 15) << 4) | (lo >> 8);
        out[o + 2] = lo & 0xff;
        o += 3;
      }
      if (bad & PAIR_BAD) fail(code, `${what} is not valid base64`);
    }
  } else {
    for (; i < full; i += 4) {
      const a = B64_VALUE[src[i]!]!;
      const b = B64_VALUE[src[i + 1]!]!;
      const c = B64_VALUE[src[i + 2]!]!;
      const d = B64_VALUE[src[i + 3]!]!;
      if ((a | b | c | d) < 0) fail(code, `${what} is not valid base64`);
      const v = (a << 18) | (b << 12) | (c << 6) | d;
      out[o++] = v >>> 16;
      out[o++] = (v >>> 8) & 0xff;
      out[o++] = v & 0xff;
    }
  }
  i = full;
  if (i < to) {
    // The final partial group (2 or 3 characters).
    const a = B64_VALUE[src[i]!]!;
    const b = B64_VALUE[src[i + 1]!]!;
    const c = to - i === 3 ? B64_VALUE[src[i + 2]!]! : 0;
    if ((a | b | c) < 0) fail(code, `${what} is not valid base64`);
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >>> 16;
    if (to - i === 3) out[o++] = (v >>> 8) & 0xff;
  }
  return o;
}

const ASCII = new TextDecoder();

/** Length of the standard padded base64 of `n` bytes. */
export const base64Length = (n: number): number => Math.ceil(n / 3) * 4;

/**
 * Standard base64 with padding. Written out rather than btoa over a binary string: building that string from a
 * multi-MiB statement (sign of a 100k-file model) cost seconds of string concatenation and garbage.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(base64Length(bytes.length));
  toBase64Into(bytes, out, 0);
  return ASCII.decode(out);
}

/** The same characters as ASCII bytes, written into `out` at `at` (base64Length(bytes.length) of them). */
export function toBase64Into(bytes: Uint8Array, out: Uint8Array, at: number): void {
  const n = bytes.length;
  const full = n - (n % 3);
  let o = at;
  let i = 0;
  if (full >= (PAIR_MIN / 4) * 3) {
    // Two pairs per group from the 4096-entry table into aligned scratch, copied out natively.
    const { units, chars, bytes: scratch } = pairTables();
    while (i < full) {
      const groups = Math.min(B64_STEP / 4, (full - i) / 3);
      for (let g = 0; g < groups; g++, i += 3) {
        const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
        units[2 * g] = chars[v >>> 12]!;
        units[2 * g + 1] = chars[v & 0xfff]!;
      }
      out.set(scratch.subarray(0, groups * 4), o);
      o += groups * 4;
    }
  } else {
    for (; i < full; i += 3) {
      const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
      out[o++] = ALPHABET[v >>> 18]!;
      out[o++] = ALPHABET[(v >>> 12) & 63]!;
      out[o++] = ALPHABET[(v >>> 6) & 63]!;
      out[o++] = ALPHABET[v & 63]!;
    }
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET[v >>> 18]!;
    out[o++] = ALPHABET[(v >>> 12) & 63]!;
    out[o++] = i + 1 < n ? ALPHABET[(v >>> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatList(parts);
}

/** concatBytes over a list (no spread: a body read in many small chunks, or 100k digests, would pass too many arguments). */
export function concatList(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
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

/**
 * Frees a large buffer nothing else uses at the next minor collection instead of the next full one: its memory is
 * moved (transferred, not copied) into a clone that dies at once, and every view of it then reads as empty. A 17 MB
 * statement payload whose view was kept through a walk of 100k files otherwise stays in memory for the whole run.
 */
export function letGo(b: Uint8Array): void {
  const buf = b.buffer;
  if (typeof structuredClone !== 'function' || !(buf instanceof ArrayBuffer) || buf.byteLength === 0) return;
  try {
    structuredClone(buf, { transfer: [buf] });
  } catch {
    /* not transferable here (e.g. a Wasm memory): it is collected as usual */
  }
}

/** A copy whose buffer is a plain ArrayBuffer of exactly its length (what WebCrypto's typings want). */
export function ab(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b) as Uint8Array<ArrayBuffer>;
}

/**
 * `b` itself when it views the whole of a plain ArrayBuffer (what WebCrypto's typings want), else a copy (`ab`): the
 * root digest's buffer and a signature's PAE are MiBs, and WebCrypto makes its own copy anyway.
 */
export function plain(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && b.byteLength === b.buffer.byteLength;
  return whole ? (b as Uint8Array<ArrayBuffer>) : ab(b);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', plain(data)));
}

/**
 * All of a stream's bytes, refused past `max` as they arrive: the transfer is cancelled at once, not after the sender
 * decides to stop. `tooLarge` and `broke` (a read that fails) throw the caller's own typed errors; without `broke`
 * a failed read's error propagates as it is.
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null | undefined,
  max: number,
  on: { tooLarge: () => never; broke?: (e: unknown) => never },
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      if (on.broke) on.broke(e);
      throw e;
    }
    if (r.done) break;
    n += r.value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => {});
      on.tooLarge();
    }
    parts.push(r.value);
  }
  return parts.length === 1 ? parts[0]! : concatList(parts);
}
