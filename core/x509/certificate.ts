/** X.509 parsing and inspection on pkijs/asn1js (web-standard; WebCrypto underneath). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from '../errors.js';
import { ab, toHex } from '../util/bytes.js';
import { parseSpki, type PublicKeyInfo } from '../crypto/keys.js';
import { digest, schemeFromAlgorithm, verifyBytes } from '../crypto/verify.js';
import { decodePemAll } from '../crypto/pem.js';

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  certificatePolicies: '2.5.29.32',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
} as const;

/** Critical extensions we understand; any other critical extension makes a certificate unusable (RFC 5280 §4.2). */
const KNOWN_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints, // enforced during path building (name-constraints.ts)
  OID.certificatePolicies,
  OID.ctPoison,
]);

export interface Certificate {
  der: Uint8Array;
  cert: pkijs.Certificate;
}

export interface CertSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
  publicKeyAlgorithm: string;
}

export function parseCertificate(der: Uint8Array, what = 'Certificate'): Certificate {
  let cert: pkijs.Certificate;
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('bad DER');
    cert = new pkijs.Certificate({ schema: asn.result });
  } catch {
    fail('CERT_MALFORMED', `${what} is not a valid DER X.509 certificate`);
  }
  let outer: Uint8Array, inner: Uint8Array, reencoded: Uint8Array;
  try {
    outer = new Uint8Array(cert.signatureAlgorithm.toSchema().toBER(false));
    inner = new Uint8Array(cert.signature.toSchema().toBER(false));
    reencoded = new Uint8Array(cert.toSchema(true).toBER(false));
  } catch {
    fail('CERT_MALFORMED', `${what} is not a valid DER X.509 certificate`);
  }
  // RFC 5280 §4.1.1.2: the unsigned outer algorithm must equal the signed one (OpenSSL enforces it too).
  if (outer.length !== inner.length || outer.some((b, i) => b !== inner[i])) {
    fail('CERT_MALFORMED', `${what}: its signature algorithm does not match the signed one`);
  }
  // A signature is whole bytes; OpenSSL refuses a BIT STRING with unused bits here too.
  if (cert.signatureValue.valueBlock.unusedBits !== 0) fail('CERT_MALFORMED', `${what} has a malformed signature value`);
  // The parser is lenient BER; the unsigned outer layers must be exact DER or their bytes could vary freely.
  if (reencoded.length !== der.length || reencoded.some((b, i) => b !== der[i])) {
    fail('CERT_MALFORMED', `${what} is not DER-encoded`);
  }
  // RFC 5280 §4.2: at most one instance of each extension. Every lookup here reads the first one, so a second
  // subjectAltName or nameConstraints could otherwise say something else to another verifier (OpenSSL refuses too).
  const ids = (cert.extensions ?? []).map((e) => e.extnID);
  if (new Set(ids).size !== ids.length) fail('CERT_MALFORMED', `${what} repeats an extension`);
  return { der, cert };
}

const DN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export function dnToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${DN_NAMES[tv.type] ?? tv.type}=${(tv.value.valueBlock as { value?: unknown }).value ?? ''}`).join(', ');
}

const dnKeys = new WeakMap<pkijs.RelativeDistinguishedNames, string>();

/** A Name's DER as hex: the parsed bytes when pkijs kept them (it re-parses them to re-encode), memoised. */
function dnKey(name: pkijs.RelativeDistinguishedNames): string {
  let k = dnKeys.get(name);
  if (k === undefined) {
    const raw = name.valueBeforeDecode;
    k = toHex(raw && raw.byteLength > 0 ? new Uint8Array(raw) : new Uint8Array(name.toSchema().toBER(false)));
    dnKeys.set(name, k);
  }
  return k;
}

export function subjectKey(c: Certificate): string {
  return dnKey(c.cert.subject);
}
export function issuerKey(c: Certificate): string {
  return dnKey(c.cert.issuer);
}

export function extension(c: Certificate, oid: string): pkijs.Extension | undefined {
  return c.cert.extensions?.find((e) => e.extnID === oid);
}

export function unknownCriticalExtensions(c: Certificate, extraKnown: readonly string[] = []): string[] {
  return (c.cert.extensions ?? []).filter((e) => e.critical && !KNOWN_CRITICAL.has(e.extnID) && !extraKnown.includes(e.extnID)).map((e) => e.extnID);
}

export function basicConstraints(c: Certificate): { ca: boolean; pathLen?: number } | undefined {
  const e = extension(c, OID.basicConstraints);
  if (!e) return undefined;
  const bc = e.parsedValue as pkijs.BasicConstraints | undefined;
  if (!bc) fail('CERT_MALFORMED', 'Malformed basicConstraints extension');
  const pathLen = typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : undefined;
  return pathLen === undefined ? { ca: !!bc.cA } : { ca: !!bc.cA, pathLen };
}

/** KeyUsage bits (RFC 5280 order) or undefined when the extension is absent. */
export function keyUsage(c: Certificate): { digitalSignature: boolean; keyCertSign: boolean } | undefined {
  const e = extension(c, OID.keyUsage);
  if (!e) return undefined;
  const bits = e.parsedValue as asn1js.BitString | undefined;
  const bytes = bits?.valueBlock?.valueHexView;
  if (!bytes) fail('CERT_MALFORMED', 'Malformed keyUsage extension');
  const b0 = bytes[0] ?? 0;
  return { digitalSignature: (b0 & 0x80) !== 0, keyCertSign: (b0 & 0x04) !== 0 };
}

export function extKeyUsage(c: Certificate): string[] | undefined {
  const e = extension(c, OID.extKeyUsage);
  if (!e) return undefined;
  const eku = e.parsedValue as pkijs.ExtKeyUsage | undefined;
  if (!eku) fail('CERT_MALFORMED', 'Malformed extKeyUsage extension');
  return eku.keyPurposes;
}

export function subjectKeyId(c: Certificate): string | undefined {
  const v = extension(c, OID.subjectKeyId)?.parsedValue as asn1js.OctetString | undefined;
  return v ? toHex(v.valueBlock.valueHexView) : undefined;
}

export function authorityKeyId(c: Certificate): string | undefined {
  const v = extension(c, OID.authorityKeyId)?.parsedValue as pkijs.AuthorityKeyIdentifier | undefined;
  return v?.keyIdentifier ? toHex(v.keyIdentifier.valueBlock.valueHexView) : undefined;
}

export function validity(c: Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: c.cert.notBefore.value, notAfter: c.cert.notAfter.value };
}

const keyOf = new WeakMap<Certificate, PublicKeyInfo>();

export function certPublicKey(c: Certificate): PublicKeyInfo {
  let k = keyOf.get(c);
  if (!k) keyOf.set(c, (k = parseSpki(new Uint8Array(c.cert.subjectPublicKeyInfo.toSchema().toBER(false)))));
  return k;
}

const summaries = new WeakMap<Certificate, Promise<CertSummary>>();

/** What a report shows about a certificate (memoised: trust-root certificates recur in every report). */
export function summarize(c: Certificate): Promise<CertSummary> {
  let p = summaries.get(c);
  if (!p) summaries.set(c, (p = summarizeNow(c)));
  return p.then((x) => ({ ...x })); // reports own their copy
}

async function summarizeNow(c: Certificate): Promise<CertSummary> {
  const fp = await digest('SHA-256', c.der);
  const { notBefore, notAfter } = validity(c);
  let alg = 'unknown';
  try {
    const k = certPublicKey(c).algorithm;
    alg = k.kind === 'ec' ? `ECDSA ${k.curve}` : k.kind === 'rsa' ? `RSA ${k.bits}` : 'Ed25519';
  } catch {
    /* an unsupported key still has a summary */
  }
  return {
    subject: dnToString(c.cert.subject),
    issuer: dnToString(c.cert.issuer),
    serialNumber: toHex(c.cert.serialNumber.valueBlock.valueHexView),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    sha256Fingerprint: toHex(fp),
    publicKeyAlgorithm: alg,
  };
}

/**
 * Largest RSA modulus and public exponent accepted from an issuing certificate. An RSA verification costs about
 * bits(e) × bits(n)²: a 16,384-bit modulus or a 3,000-bit exponent (OpenSSL allows both) makes each check cost
 * milliseconds to tens of milliseconds, which hostile chains multiply. Go's crypto/tls caps moduli at 8,192 bits
 * (CVE-2023-29409) and its x509 parser exponents at 2^31-1; we take the same limits.
 */
export const MAX_RSA_MODULUS_BITS = 8192;
const MAX_RSA_EXPONENT = 2 ** 31 - 1;

function rsaKeyTooHeavy(issuer: Certificate): boolean {
  const key = issuer.cert.subjectPublicKeyInfo.parsedKey as pkijs.RSAPublicKey | undefined;
  if (!(key instanceof pkijs.RSAPublicKey)) return false;
  const strip = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  };
  const n = strip(key.modulus.valueBlock.valueHexView);
  const e = strip(key.publicExponent.valueBlock.valueHexView);
  const exponent = e.length > 4 ? Infinity : e.reduce((v, x) => v * 256 + x, 0);
  return n.length * 8 > MAX_RSA_MODULUS_BITS || exponent > MAX_RSA_EXPONENT;
}

const signedCache = new WeakMap<Certificate, WeakMap<Certificate, Promise<boolean>>>();

/**
 * Checks that `issuer`'s key signed `child`, over WebCrypto with cached key imports (pkijs re-imports the key
 * on every call, which dominated Sigstore verification time); pkijs covers algorithms we do not map (e.g. SHA-1).
 * Results are memoised per certificate pair: trust-root chains are checked once per process.
 */
export function signedBy(child: Certificate, issuer: Certificate): Promise<boolean> {
  let byIssuer = signedCache.get(child);
  if (!byIssuer) signedCache.set(child, (byIssuer = new WeakMap()));
  let p = byIssuer.get(issuer);
  if (!p) {
    p = (async () => {
      try {
        if (rsaKeyTooHeavy(issuer)) return false;
        const scheme = (() => {
          try {
            return schemeFromAlgorithm(child.cert.signatureAlgorithm);
          } catch {
            return null;
          }
        })();
        if (!scheme) return await child.cert.verify(issuer.cert);
        return await verifyBytes(certPublicKey(issuer), scheme, new Uint8Array(child.cert.signatureValue.valueBlock.valueHexView), child.cert.tbsView);
      } catch {
        return false;
      }
    })();
    byIssuer.set(issuer, p);
  }
  return p;
}

export function sameCert(a: Certificate, b: Certificate): boolean {
  if (a.der.length !== b.der.length) return false;
  for (let i = 0; i < a.der.length; i++) if (a.der[i] !== b.der[i]) return false;
  return true;
}

/** Every CERTIFICATE / TRUSTED CERTIFICATE block of some PEM texts (a policy's trust anchors), parsed. */
export function certificatesFromPem(texts: readonly string[]): Certificate[] {
  const out: Certificate[] = [];
  for (const t of texts) {
    for (const b of decodePemAll(t, 'CERT_MALFORMED')) {
      if (b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE') out.push(parseCertificate(b.der, 'Trust anchor'));
    }
  }
  return out;
}
