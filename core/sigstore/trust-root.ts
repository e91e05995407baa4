/**
 * Sigstore trust material: TrustedRoot JSON (and ClientTrustConfig wrapping one) → keys and certificate chains,
 * each with its validity interval. Validated strictly: ts-proto style "missing means default" would turn a key
 * without `validFor.start` into "valid since the beginning of time".
 */
import { fail } from '../errors.js';
import { parseSpki, type PublicKeyInfo } from '../crypto/keys.js';
import { rsaPkcs1ToSpki, type SignatureScheme } from '../crypto/verify.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { fromBase64, toHex } from '../util/bytes.js';
import type { TrustRootInfo } from '../verify/report.js';
import { field, isObject, requireArray, requireObject, requireString, type JsonObject } from '../util/json.js';

export interface Validity {
  start: Date;
  end?: Date;
}

export interface LogKey {
  baseUrl: string;
  /** Host name of baseUrl: the signer name in checkpoints. */
  host: string;
  key: PublicKeyInfo;
  scheme: SignatureScheme;
  validFor: Validity;
  logId: Uint8Array;
  checkpointKeyId?: Uint8Array;
}

export interface Authority {
  uri: string;
  name: string;
  /** Leaf-most first, root last. */
  certs: Certificate[];
  validFor: Validity;
}

export class TrustRoot {
  constructor(
    readonly tlogs: LogKey[],
    readonly ctlogs: LogKey[],
    readonly cas: Authority[],
    readonly tsas: Authority[],
    /** Where this root came from, for reports ("embedded production …", a file name, …). */
    readonly source: string,
    /** When the material was current (the embedded root's snapshot date), if known. */
    readonly date?: string,
  ) {}

  /** How the root was obtained (TUF, cache, embedded, file): set by whoever loaded it, shown in reports. */
  provenance?: Omit<TrustRootInfo, 'source' | 'date'>;

  /** The report's description of this root. */
  info(): TrustRootInfo {
    return { source: this.source, ...(this.date ? { date: this.date } : {}), ...this.provenance };
  }

  tlogById(logId: Uint8Array): LogKey[] {
    const hex = toHex(logId);
    return this.tlogs.filter((l) => toHex(l.logId) === hex);
  }
}

/** Trust intervals are closed at both ends (protobuf-specs TimeRange). */
export function within(v: Validity, t: Date): boolean {
  return t.getTime() >= v.start.getTime() && (v.end === undefined || t.getTime() <= v.end.getTime());
}

const bad = (msg: string): never => fail('TRUST_ROOT_INVALID', msg);

function time(v: unknown, what: string): Date {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) bad(`${what} is not an RFC 3339 time`);
  const d = new Date(v as string);
  if (Number.isNaN(d.getTime())) bad(`${what} is not a valid time`);
  return d;
}

function validity(o: unknown, what: string): Validity {
  if (!isObject(o)) bad(`${what}: validFor is missing`);
  const v = o as JsonObject;
  if (v.start === undefined || v.start === null) bad(`${what}: validFor.start is missing`);
  const start = time(v.start, `${what} validFor.start`);
  if (v.end === undefined || v.end === null) return { start };
  const end = time(v.end, `${what} validFor.end`);
  if (end < start) bad(`${what}: validFor ends before it starts`);
  return { start, end };
}

function b64(v: unknown, what: string): Uint8Array {
  return fromBase64(v, what, 'TRUST_ROOT_INVALID');
}

const EC_DETAILS: Record<string, SignatureScheme> = {
  PKIX_ECDSA_P256_SHA_256: { name: 'ECDSA', hash: 'SHA-256' },
  PKIX_ECDSA_P384_SHA_384: { name: 'ECDSA', hash: 'SHA-384' },
  PKIX_ECDSA_P521_SHA_512: { name: 'ECDSA', hash: 'SHA-512' },
  PKIX_ECDSA_P384_SHA_256: { name: 'ECDSA', hash: 'SHA-256' },
  PKIX_ECDSA_P521_SHA_256: { name: 'ECDSA', hash: 'SHA-256' },
  PKIX_ED25519: { name: 'Ed25519' },
  PKIX_ED25519_PH: { name: 'Ed25519' },
  PKCS1_RSA_PKCS1V5: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PKIX_RSA_PKCS1V5: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PKIX_RSA_PKCS1V15_2048_SHA256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PKIX_RSA_PKCS1V15_3072_SHA256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PKIX_RSA_PKCS1V15_4096_SHA256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PKCS1_RSA_PSS: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
  PKIX_RSA_PSS: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
  PKIX_RSA_PSS_2048_SHA256: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
  PKIX_RSA_PSS_3072_SHA256: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
  PKIX_RSA_PSS_4096_SHA256: { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 },
};

function logKey(o: unknown, what: string): LogKey {
  const l = requireObject(o, what, 'TRUST_ROOT_INVALID');
  const baseUrl = requireString(field(l, 'baseUrl'), `${what} baseUrl`, 'TRUST_ROOT_INVALID');
  let host = baseUrl;
  try {
    host = new URL(baseUrl).host;
  } catch {
    /* a bare name is fine */
  }
  const pk = requireObject(field(l, 'publicKey'), `${what} publicKey`, 'TRUST_ROOT_INVALID');
  const details = typeof field(pk, 'keyDetails') === 'string' ? (field(pk, 'keyDetails') as string) : '';
  let raw = b64(field(pk, 'rawBytes'), `${what} publicKey.rawBytes`);
  if (details.startsWith('PKCS1_')) raw = rsaPkcs1ToSpki(raw);
  let key: PublicKeyInfo;
  try {
    key = parseSpki(raw);
  } catch (e) {
    bad(`${what}: ${(e as Error).message}`);
  }
  const scheme = EC_DETAILS[details] ?? defaultFor(key!);
  const logId = b64(field(requireObject(field(l, 'logId'), `${what} logId`, 'TRUST_ROOT_INVALID'), 'keyId'), `${what} logId.keyId`);
  const ck = field(l, 'checkpointKeyId');
  const out: LogKey = { baseUrl, host, key: key!, scheme, validFor: validity(field(pk, 'validFor'), what), logId };
  if (isObject(ck)) out.checkpointKeyId = b64(field(ck, 'keyId'), `${what} checkpointKeyId.keyId`);
  return out;
}

function defaultFor(key: PublicKeyInfo): SignatureScheme {
  if (key.algorithm.kind === 'ed25519') return { name: 'Ed25519' };
  if (key.algorithm.kind === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return { name: 'ECDSA', hash: 'SHA-256' }; // tlog and CT signatures are SHA-256 whatever the curve
}

function authority(o: unknown, what: string): Authority {
  const a = requireObject(o, what, 'TRUST_ROOT_INVALID');
  const chain = requireObject(field(a, 'certChain'), `${what} certChain`, 'TRUST_ROOT_INVALID');
  const certs = requireArray(chain.certificates, `${what} certChain.certificates`, 'TRUST_ROOT_INVALID').map((c, i) => {
    const der = b64(field(requireObject(c, `${what} certificate ${i}`, 'TRUST_ROOT_INVALID'), 'rawBytes'), `${what} certificate ${i}`);
    try {
      return parseCertificate(der, `${what} certificate ${i}`);
    } catch (e) {
      bad((e as Error).message);
    }
  });
  if (certs.length === 0) bad(`${what} has no certificates`);
  const subject = isObject(a.subject) ? a.subject : {};
  const name = [subject.commonName, subject.organization].filter((x) => typeof x === 'string').join(', ');
  return { uri: typeof a.uri === 'string' ? a.uri : '', name, certs: certs as Certificate[], validFor: validity(field(a, 'validFor'), what) };
}

function list(root: JsonObject, key: string): unknown[] {
  const v = field(root, key);
  if (v === undefined || v === null) return [];
  return requireArray(v, `trusted root ${key}`, 'TRUST_ROOT_INVALID');
}

/** Parses TrustedRoot JSON, or a ClientTrustConfig (camelCase or snake_case) holding one. */
export function parseTrustRoot(json: unknown, source: string, date?: string): TrustRoot {
  let root = requireObject(json, 'Trust material', 'TRUST_ROOT_INVALID');
  const mt = typeof root.mediaType === 'string' ? root.mediaType : '';
  const inner = field(root, 'trustedRoot');
  if (mt.includes('clienttrustconfig') || inner !== undefined) {
    root = requireObject(inner, 'ClientTrustConfig trustedRoot', 'TRUST_ROOT_INVALID');
  }
  const rmt = typeof root.mediaType === 'string' ? root.mediaType : '';
  if (rmt && !rmt.startsWith('application/vnd.dev.sigstore.trustedroot')) bad(`Unsupported trusted root media type '${rmt}'`);
  const tlogs = list(root, 'tlogs').map((t, i) => logKey(t, `tlog ${i}`));
  const ctlogs = list(root, 'ctlogs').map((t, i) => logKey(t, `ctlog ${i}`));
  const cas = list(root, 'certificateAuthorities').map((t, i) => authority(t, `certificate authority ${i}`));
  const tsas = list(root, 'timestampAuthorities').map((t, i) => authority(t, `timestamp authority ${i}`));
  if (tlogs.length + cas.length + tsas.length === 0) bad('The trusted root contains no logs or authorities');
  return new TrustRoot(tlogs, ctlogs, cas, tsas, source, date);
}
