/**
 * Bundle reader. Hand-written rather than @sigstore/bundle because (a) that package needs Node's Buffer,
 * which browsers and workerd lack, and (b) it rejects what the reference signer really writes:
 * v0.3 media type with `x509CertificateChain`, no `tlogEntries`, `publicKey.rawBytes` without `hint`.
 * Every field is type-checked; anything unexpected is a BUNDLE_MALFORMED error, never an exception.
 * A bundle must also have exactly one reading: duplicate JSON keys, two spellings of one field
 * (`dsseEnvelope` and `dsse_envelope`) and several DSSE signatures are BUNDLE_AMBIGUOUS, because another
 * reader could pick the other value and see a different bundle from the one we checked.
 */
import { fail } from '../errors.js';
import { base64AsciiEquals, base64AsciiLength, fromBase64, fromBase64Ascii, utf8Decode, utf8Encode } from '../util/bytes.js';
import { IN_TOTO_PAYLOAD_TYPE } from './types.js';
import { paeHeader } from './dsse.js';
import { clip, field, isObject, parseJson, requireArray, requireObject, requireString, type JsonObject } from '../util/json.js';
import type { Bundle, BundleVersion, DsseEnvelope, MessageSignature, VerificationMaterial } from './types.js';

/** Upper bound on a signature file. Sharded manifests of very large models stay far below it. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

const MEDIA_TYPES: Record<string, BundleVersion> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
};

export function bundleVersion(mediaType: string): BundleVersion | undefined {
  return Object.hasOwn(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
}

export interface ParseBundleOptions {
  /**
   * The DSSE payload the caller expects (a signer reading back what it wrote): when the file's payload decodes to
   * exactly these bytes, checked a piece at a time, the envelope's payload is this array and no copy is made.
   */
  expectPayload?: Uint8Array;
}

export function parseBundle(input: Uint8Array | string, options: ParseBundleOptions = {}): Bundle {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size === 0) fail('BUNDLE_MALFORMED', 'The signature file is empty');
  if (size > MAX_BUNDLE_BYTES) fail('BUNDLE_TOO_LARGE', `The signature file is larger than ${MAX_BUNDLE_BYTES} bytes`);
  // Long strings cut from the text first (see readCut); the plain reading when there are none or anything is unusual.
  const cut = typeof input === 'string' ? undefined : readCut(input, options.expectPayload);
  const json = cut?.json ?? readJson(typeof input === 'string' ? input : utf8Decode(input, 'The signature file'));

  const mediaType = requireString(json.mediaType, 'Bundle mediaType');
  const version = bundleVersion(mediaType);
  if (!version) fail('BUNDLE_MEDIA_TYPE', `Unsupported bundle media type '${clip(mediaType)}'`);

  const vm = requireObject(field(json, 'verificationMaterial'), 'Bundle verificationMaterial');
  const material = readMaterial(vm);
  const tlog = field(vm, 'tlogEntries');
  const tlogEntries = tlog === undefined || tlog === null ? [] : requireArray(tlog, 'verificationMaterial.tlogEntries');
  const tvd = field(vm, 'timestampVerificationData');
  const timestampVerificationData = tvd === undefined || tvd === null ? undefined : requireObject(tvd, 'timestampVerificationData');

  const dsse = field(json, 'dsseEnvelope');
  const ms = field(json, 'messageSignature');
  if ((dsse === undefined) === (ms === undefined)) {
    fail('BUNDLE_MALFORMED', 'A bundle must contain exactly one of dsseEnvelope and messageSignature');
  }
  const content: Bundle['content'] =
    dsse !== undefined
      ? { kind: 'dsse', envelope: readEnvelope(requireObject(dsse, 'dsseEnvelope'), cut?.payload) }
      : { kind: 'messageSignature', messageSignature: readMessageSignature(requireObject(ms, 'messageSignature')) };

  return { mediaType, version, content, material, tlogEntries, timestampVerificationData, json };
}

const readJson = (text: string): JsonObject =>
  requireObject(parseJson(text, 'The signature file', 'BUNDLE_MALFORMED', { spellings: true }), 'The signature file');

/**
 * String values at least this long are cut out of the signature file's text before it is parsed: a 100k-file model's
 * DSSE payload is 22 MB of base64, which as text, as a parsed string and as the bytes of both would be ~70 MB of
 * garbage before its 17 MB are decoded. It is decoded from the file's bytes instead.
 */
export const BLOB_MIN_CHARS = 1 << 16;

interface Cut {
  /** The file with each long string's characters replaced by a placeholder (the rest byte for byte the same). */
  text: Uint8Array;
  /** Placeholder → the string's characters in the original bytes. */
  blobs: Map<string, Uint8Array>;
}

/**
 * The document read with its long strings cut (cutBlobs), or undefined for the plain reading to decide. A cut string
 * stands for itself only if it is what a JSON string holds as it is: the DSSE payload is decoded right away (base64
 * characters are), any other is checked to be printable ASCII without `\` and put back as the string it was. So the
 * document read is the file's own; and whatever is unusual (a string that is neither, text that is not JSON or not
 * UTF-8, an ambiguous key) is left to the plain reading, which then gives its own verdict and error, byte for byte the
 * same as for an uncut file.
 */
function readCut(input: Uint8Array, expect: Uint8Array | undefined): { json: JsonObject; payload?: { mark: string; bytes: Uint8Array } } | undefined {
  const cut = cutBlobs(input);
  if (!cut) return undefined;
  try {
    const json = readJson(utf8Decode(cut.text, 'The signature file'));
    let payload: { mark: string; bytes: Uint8Array } | undefined;
    for (const k of ['dsseEnvelope', 'dsse_envelope']) {
      const env = Object.hasOwn(json, k) ? json[k] : undefined;
      const mark = isObject(env) && Object.hasOwn(env, 'payload') ? env.payload : undefined;
      const blob = typeof mark === 'string' ? cut.blobs.get(mark) : undefined;
      if (blob && !payload) {
        const bytes = expect && base64AsciiEquals(blob, expect) ? expect : decodePayloadWithPae(blob);
        payload = { mark: mark as string, bytes };
      }
    }
    restoreBlobs(json, cut, payload?.mark);
    return payload ? { json, payload } : { json };
  } catch {
    return undefined;
  }
}

/**
 * Finds the long strings (see BLOB_MIN_CHARS) by the JSON string rule at byte level (a `"` outside a string opens one,
 * the next `"` preceded by an even run of backslashes closes it; UTF-8 never has these bytes inside a multi-byte
 * character) and puts a placeholder in place of each one in value position (next non-space byte `,` `}` `]`, never
 * `:`): a string no input can guess (a random nonce). What they hold is checked by readCut.
 */
function cutBlobs(b: Uint8Array): Cut | undefined {
  const ranges: number[] = [];
  const n = b.length;
  for (let i = 0; ; ) {
    const q = b.indexOf(0x22, i);
    if (q < 0) break;
    let e = q + 1;
    for (;;) {
      e = b.indexOf(0x22, e);
      if (e < 0) return undefined;
      let k = e - 1;
      while (b[k] === 0x5c) k--;
      if ((e - 1 - k) % 2 === 0) break;
      e++;
    }
    if (e - q - 1 >= BLOB_MIN_CHARS) {
      let k = e + 1;
      while (k < n && (b[k] === 0x20 || b[k] === 0x0a || b[k] === 0x0d || b[k] === 0x09)) k++;
      if (k === n || b[k] === 0x2c || b[k] === 0x7d || b[k] === 0x5d) ranges.push(q + 1, e);
    }
    i = e + 1;
  }
  if (ranges.length === 0) return undefined;
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
  const blobs = new Map<string, Uint8Array>();
  const marks: Uint8Array[] = [];
  let total = n;
  for (let r = 0; r < ranges.length; r += 2) {
    const mark = `model-verify-blob-${nonce}-${r / 2}`;
    blobs.set(mark, b.subarray(ranges[r]!, ranges[r + 1]!));
    marks.push(utf8Encode(mark));
    total += marks[r / 2]!.length - (ranges[r + 1]! - ranges[r]!);
  }
  const text = new Uint8Array(total);
  let o = 0;
  let from = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    text.set(b.subarray(from, ranges[r]!), o);
    o += ranges[r]! - from;
    text.set(marks[r / 2]!, o);
    o += marks[r / 2]!.length;
    from = ranges[r + 1]!;
  }
  text.set(b.subarray(from), o);
  return { text, blobs };
}

/** Bytes 0x20-0x7e except `\`: characters a JSON string holds as they are. */
function plainAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
  }
  return true;
}

const ASCII_TEXT = new TextDecoder();

/**
 * Puts each cut string other than the decoded payload (`keep`) back where it was, as the string it was: every field
 * reads exactly what the file says (in `Bundle.json` the payload stays a placeholder). Throws for a string that is
 * not plain ASCII (readCut then reads the file plainly). Recursion is bounded by parseJson's MAX_JSON_DEPTH.
 */
function restoreBlobs(json: JsonObject, cut: Cut, keep: string | undefined): void {
  const back = (x: unknown): string | undefined => {
    if (typeof x !== 'string' || x === keep) return undefined;
    const blob = cut.blobs.get(x);
    if (!blob) return undefined;
    if (!plainAscii(blob)) throw new Error('not plain');
    return ASCII_TEXT.decode(blob);
  };
  const walk = (node: JsonObject | unknown[]): void => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const x = node[i];
        const s = back(x);
        if (s !== undefined) node[i] = s;
        else if (typeof x === 'object' && x !== null) walk(x as JsonObject | unknown[]);
      }
      return;
    }
    for (const k of Object.keys(node)) {
      const x = node[k];
      const s = back(x);
      // defineProperty, not assignment: a key named `__proto__` is an own property here.
      if (s !== undefined) Object.defineProperty(node, k, { value: s });
      else if (typeof x === 'object' && x !== null) walk(x as JsonObject | unknown[]);
    }
  };
  walk(json);
}

function readMaterial(vm: JsonObject): VerificationMaterial {
  const pk = field(vm, 'publicKey');
  const chain = field(vm, 'x509CertificateChain');
  const cert = field(vm, 'certificate');
  const present = [pk, chain, cert].filter((v) => v !== undefined && v !== null).length;
  if (present !== 1) {
    fail('BUNDLE_MALFORMED', 'verificationMaterial must contain exactly one of publicKey, x509CertificateChain and certificate');
  }
  if (pk !== undefined && pk !== null) {
    const o = requireObject(pk, 'verificationMaterial.publicKey');
    const hint = o.hint;
    if (hint !== undefined && hint !== null && typeof hint !== 'string') fail('BUNDLE_MALFORMED', 'publicKey.hint must be a string');
    // Legacy `rawBytes`/`keyDetails` are ignored exactly as the reference does: the user's key is authoritative.
    return { kind: 'publicKey', hint: typeof hint === 'string' && hint !== '' ? hint : null };
  }
  if (chain !== undefined && chain !== null) {
    const certs = requireArray(requireObject(chain, 'x509CertificateChain').certificates, 'x509CertificateChain.certificates');
    if (certs.length === 0) fail('BUNDLE_MALFORMED', 'x509CertificateChain has no certificates');
    if (certs.length > 16) fail('BUNDLE_MALFORMED', 'x509CertificateChain has too many certificates');
    return {
      kind: 'x509CertificateChain',
      certificates: certs.map((c, i) => fromBase64(field(requireObject(c, `certificate ${i}`), 'rawBytes'), `certificate ${i}`)),
    };
  }
  const c = requireObject(cert, 'verificationMaterial.certificate');
  return { kind: 'certificate', certificate: fromBase64(field(c, 'rawBytes'), 'certificate.rawBytes') };
}

function readEnvelope(o: JsonObject, cut: { mark: string; bytes: Uint8Array } | undefined): DsseEnvelope {
  // A cut payload was decoded from the file's bytes into a buffer that also holds its PAE (dsse.ts), so verifying the
  // signature makes no copy of it.
  const payload = cut && o.payload === cut.mark ? cut.bytes : fromBase64(o.payload, 'dsseEnvelope.payload');
  const payloadType = requireString(field(o, 'payloadType'), 'dsseEnvelope.payloadType');
  const sigs = requireArray(o.signatures, 'dsseEnvelope.signatures');
  if (sigs.length === 0) fail('BUNDLE_MALFORMED', 'dsseEnvelope has no signatures');
  // The reference writes exactly one. With several, "which one was checked" has no safe answer: a verifier
  // that reads only the first would accept [valid, garbage], one that wants all would not (nor would the
  // Sigstore bundle spec, which requires exactly one).
  if (sigs.length !== 1) fail('BUNDLE_AMBIGUOUS', `dsseEnvelope has ${sigs.length} signatures; an OMS signature has exactly one`);
  const signatures = sigs.map((s, i) => {
    const so = requireObject(s, `dsseEnvelope.signatures[${i}]`);
    const keyid = so.keyid;
    if (keyid !== undefined && keyid !== null && typeof keyid !== 'string') fail('BUNDLE_MALFORMED', 'signature keyid must be a string');
    return { sig: fromBase64(so.sig, `dsseEnvelope.signatures[${i}].sig`), keyid: keyid as string | null | undefined };
  });
  return { payload, payloadType, signatures };
}

function readMessageSignature(o: JsonObject): MessageSignature {
  const signature = fromBase64(o.signature, 'messageSignature.signature');
  const md = field(o, 'messageDigest');
  if (md === undefined || md === null) return { signature };
  const mo = requireObject(md, 'messageSignature.messageDigest');
  return {
    signature,
    digest: { algorithm: requireString(mo.algorithm, 'messageDigest.algorithm'), digest: fromBase64(mo.digest, 'messageDigest.digest') },
  };
}

/** The payload's bytes, in a buffer that begins with its PAE header (`pae()` then returns that whole buffer). */
function decodePayloadWithPae(b64: Uint8Array): Uint8Array {
  const n = base64AsciiLength(b64);
  const head = n < 0 ? new Uint8Array(0) : paeHeader(IN_TOTO_PAYLOAD_TYPE, n);
  const payload = fromBase64Ascii(b64, 'dsseEnvelope.payload', 'BUNDLE_MALFORMED', head.length);
  new Uint8Array(payload.buffer, 0, head.length).set(head);
  return payload;
}

export function isBundleJson(v: unknown): boolean {
  return isObject(v) && typeof v.mediaType === 'string';
}
