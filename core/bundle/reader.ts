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
import { fromBase64, utf8Decode } from '../util/bytes.js';
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

export function parseBundle(input: Uint8Array | string): Bundle {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size === 0) fail('BUNDLE_MALFORMED', 'The signature file is empty');
  if (size > MAX_BUNDLE_BYTES) fail('BUNDLE_TOO_LARGE', `The signature file is larger than ${MAX_BUNDLE_BYTES} bytes`);
  const text = typeof input === 'string' ? input : utf8Decode(input, 'The signature file');
  const json = requireObject(parseJson(text, 'The signature file', 'BUNDLE_MALFORMED', { spellings: true }), 'The signature file');

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
      ? { kind: 'dsse', envelope: readEnvelope(requireObject(dsse, 'dsseEnvelope')) }
      : { kind: 'messageSignature', messageSignature: readMessageSignature(requireObject(ms, 'messageSignature')) };

  return { mediaType, version, content, material, tlogEntries, timestampVerificationData, json };
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

function readEnvelope(o: JsonObject): DsseEnvelope {
  const payload = fromBase64(o.payload, 'dsseEnvelope.payload');
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

export function isBundleJson(v: unknown): boolean {
  return isObject(v) && typeof v.mediaType === 'string';
}
