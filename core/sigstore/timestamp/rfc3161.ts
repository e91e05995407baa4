/**
 * RFC 3161 timestamps (TimeStampResp → CMS SignedData → TSTInfo), checked against the trusted root's timestamp
 * authorities only: certificates embedded in the token are ignored, as they prove nothing.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from '../../errors.js';
import { DIGEST_OIDS, digest, schemeFromAlgorithm, verifyBytes } from '../../crypto/verify.js';
import type { HashName } from '../../crypto/keys.js';
import { buildChain } from '../../x509/chain.js';
import { certPublicKey, extKeyUsage, subjectKeyId, type Certificate } from '../../x509/certificate.js';
import { concatBytes, equalBytes, toHex } from '../../util/bytes.js';
import { assertDer, children, readTlv, type Tlv } from '../../x509/der.js';
import { within, type Authority, type TrustRoot } from '../trust-root.js';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

const bad = (msg: string): never => fail('TIMESTAMP_INVALID', msg);

export interface VerifiedTimestamp {
  time: Date;
  authority: string;
}

export interface ParsedTimestamp {
  genTime: Date;
  imprintHash: HashName;
  imprint: Uint8Array;
  tstInfoDer: Uint8Array;
  signer: pkijs.SignerInfo;
}

function der(o: { toSchema(): asn1js.AsnType }): Uint8Array {
  return new Uint8Array(o.toSchema().toBER(false));
}

// The envelope (TimeStampResp → ContentInfo → SignedData) and TSTInfo are walked as DER by hand: pkijs'
// schema matching of them (and of the embedded certificates, which we ignore) cost more CPU than all the
// cryptography of a Sigstore verification. Only the SignerInfo, which needs its attribute model, goes to pkijs.
const OID_DER = {
  signedData: Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02),
  tstInfo: Uint8Array.of(0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04),
};

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) bad(`The RFC 3161 timestamp is malformed (${what})`);
  return t!;
}

function smallInt(b: Uint8Array, t: Tlv): number {
  if (t.end - t.body < 1 || t.end - t.body > 4) bad('The RFC 3161 timestamp is malformed (integer)');
  let v = 0;
  for (let i = t.body; i < t.end; i++) v = v * 256 + b[i]!;
  return v;
}

/** GeneralizedTime as RFC 3161 requires it: YYYYMMDDhhmmss[.f+]Z. */
function generalizedTime(text: string): Date {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) bad('The timestamp genTime is not a valid GeneralizedTime');
  const ms = m![7] ? Math.floor(Number(`0.${m![7]}`) * 1000) : 0;
  const d = new Date(Date.UTC(+m![1]!, +m![2]! - 1, +m![3]!, +m![4]!, +m![5]!, +m![6]!, ms));
  if (Number.isNaN(d.getTime())) bad('The timestamp genTime is not a valid time');
  return d;
}

const IMPRINT_OIDS: Record<string, HashName> = {
  '0609608648016503040201': 'SHA-256',
  '0609608648016503040202': 'SHA-384',
  '0609608648016503040203': 'SHA-512',
};

function parseTstInfo(b: Uint8Array): { genTime: Date; imprintHash: HashName; imprint: Uint8Array } {
  const top = readTlv(b, 0);
  if (top.end !== b.length || top.tag !== 0x30) bad('The timestamp TSTInfo is malformed');
  // version, policy, messageImprint, serialNumber, genTime, …
  const [version, , imprint, , genTime] = children(b, top);
  if (smallInt(b, expectTag(version, 0x02, 'TSTInfo version')) !== 1) bad('Unsupported TSTInfo version');
  const [alg, hashed] = children(b, expectTag(imprint, 0x30, 'messageImprint'));
  const oid = children(b, expectTag(alg, 0x30, 'imprint algorithm'))[0];
  const imprintHash = oid ? IMPRINT_OIDS[toHex(b.subarray(oid.start, oid.end))] : undefined;
  if (!imprintHash) bad('Unsupported timestamp message imprint algorithm');
  const h = expectTag(hashed, 0x04, 'imprint');
  const g = expectTag(genTime, 0x18, 'genTime');
  return { genTime: generalizedTime(new TextDecoder().decode(b.subarray(g.body, g.end))), imprintHash: imprintHash!, imprint: b.slice(h.body, h.end) };
}

/** OCTET STRING content; CMS is BER, so a constructed string (as pkijs writes) is the concatenation of its parts. */
function octetString(b: Uint8Array, t: Tlv | undefined): Uint8Array {
  if (t?.tag === 0x04) return b.slice(t.body, t.end);
  const parts = children(b, expectTag(t, 0x24, 'eContent'));
  return concatBytes(...parts.map((p) => b.subarray(expectTag(p, 0x04, 'eContent part').body, p.end)));
}

export function parseTimestamp(bytes: Uint8Array): ParsedTimestamp {
  try {
    const top = readTlv(bytes, 0);
    if (top.end !== bytes.length || top.tag !== 0x30) bad('The RFC 3161 timestamp is malformed (trailing bytes)');
    const [statusInfo, token] = children(bytes, top);
    const status = smallInt(bytes, expectTag(children(bytes, expectTag(statusInfo, 0x30, 'status'))[0], 0x02, 'status'));
    if (status !== 0 && status !== 1) bad(`The timestamp authority refused the request (status ${status})`);
    const [ct, explicit] = children(bytes, expectTag(token, 0x30, 'token'));
    if (!ct || !equalBytes(bytes.subarray(ct.start, ct.end), OID_DER.signedData)) bad('The timestamp response carries no signed token');
    const sd = children(bytes, expectTag(children(bytes, expectTag(explicit, 0xa0, 'token content'))[0], 0x30, 'SignedData'));
    // SignedData: version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    expectTag(sd[0], 0x02, 'SignedData version');
    expectTag(sd[1], 0x31, 'digestAlgorithms');
    if (sd.length > 6 || sd.slice(3, -1).some((t, i) => t.tag !== 0xa0 + i && t.tag !== 0xa1)) bad('The RFC 3161 timestamp is malformed (SignedData)');
    const [eType, eContent] = children(bytes, expectTag(sd[2], 0x30, 'encapContentInfo'));
    if (!eType || !equalBytes(bytes.subarray(eType.start, eType.end), OID_DER.tstInfo)) bad('The timestamp token does not contain a TSTInfo');
    const tstInfoDer = octetString(bytes, children(bytes, expectTag(eContent, 0xa0, 'eContent'))[0]);
    const signers = children(bytes, expectTag(sd[sd.length - 1], 0x31, 'signerInfos'));
    if (signers.length !== 1) bad('The timestamp token must have exactly one signer');
    const si = signers[0]!;
    // asn1js tolerates some non-DER lengths: check the SignerInfo's shape ourselves first.
    assertDer(bytes, si);
    const signer = new pkijs.SignerInfo({ schema: asn1js.fromBER(bytes.slice(si.start, si.end).buffer).result });
    return { ...parseTstInfo(tstInfoDer), tstInfoDer, signer };
  } catch (e) {
    if ((e as { code?: string }).code === 'TIMESTAMP_INVALID') throw e;
    return bad(`The RFC 3161 timestamp is malformed: ${(e as Error).message}`);
  }
}

function signerMatches(si: pkijs.SignerInfo, leaf: Certificate): boolean {
  const sid = si.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      equalBytes(der(sid.issuer), der(leaf.cert.issuer)) && equalBytes(sid.serialNumber.valueBlock.valueHexView, leaf.cert.serialNumber.valueBlock.valueHexView)
    );
  }
  // [0] SubjectKeyIdentifier
  const raw = (sid as { valueBlock?: { valueHexView?: Uint8Array } })?.valueBlock?.valueHexView;
  const ski = subjectKeyId(leaf);
  return !!raw && !!ski && toHex(raw) === ski;
}

function attribute(si: pkijs.SignerInfo, oid: string): asn1js.AsnType | undefined {
  const attrs = si.signedAttrs?.attributes.filter((a) => a.type === oid) ?? [];
  if (attrs.length > 1 || (attrs[0] && attrs[0].values.length !== 1)) bad(`The timestamp has a malformed signed attribute ${oid}`);
  return attrs[0]?.values[0];
}

async function verifyWithAuthority(ts: ParsedTimestamp, tsa: Authority): Promise<void> {
  const leaf = tsa.certs[0]!;
  const anchors = tsa.certs.length > 1 ? tsa.certs.slice(1) : [leaf];
  await buildChain(leaf, tsa.certs.slice(1, -1), anchors.slice(-1), { time: ts.genTime }).catch((e) =>
    bad(`The timestamp authority's certificate chain is not valid at ${ts.genTime.toISOString()}: ${(e as Error).message}`),
  );
  const eku = extKeyUsage(leaf);
  if (eku && !eku.includes(OID_TIME_STAMPING)) bad('The timestamp authority certificate is not allowed to issue timestamps (EKU timeStamping)');

  const si = ts.signer;
  const hash = DIGEST_OIDS[si.digestAlgorithm.algorithmId];
  if (!hash) bad(`Unsupported timestamp digest algorithm ${si.digestAlgorithm.algorithmId}`);
  if (!si.signedAttrs) bad('The timestamp signature has no signed attributes');
  const ct = attribute(si, OID_CONTENT_TYPE);
  if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== OID_TST_INFO) bad('The timestamp content-type attribute is not TSTInfo');
  const md = attribute(si, OID_MESSAGE_DIGEST);
  if (!(md instanceof asn1js.OctetString) || !equalBytes(md.valueBlock.valueHexView, await digest(hash!, ts.tstInfoDer))) {
    bad('The timestamp message-digest attribute does not match its TSTInfo');
  }
  // The signature covers the attributes DER-encoded as a SET, not with their [0] IMPLICIT tag (RFC 5652 §5.4).
  const signedAttrs = new Uint8Array(si.signedAttrs!.encodedValue);
  signedAttrs[0] = 0x31;
  const scheme = schemeFromAlgorithm(si.signatureAlgorithm, hash);
  if (!(await verifyBytes(certPublicKey(leaf), scheme, new Uint8Array(si.signature.valueBlock.valueHexView), signedAttrs))) {
    bad('The timestamp signature is invalid');
  }
}

/** Verifies one timestamp over `signature` (the bundle's signature bytes) and returns its time. */
export async function verifyTimestamp(bytes: Uint8Array, signature: Uint8Array, trust: TrustRoot): Promise<VerifiedTimestamp> {
  const ts = parseTimestamp(bytes);
  if (!equalBytes(ts.imprint, await digest(ts.imprintHash, signature))) bad('The timestamp was issued for a different signature (message imprint mismatch)');
  const candidates = trust.tsas.filter((a) => within(a.validFor, ts.genTime) && signerMatches(ts.signer, a.certs[0]!));
  if (candidates.length === 0) bad(`No trusted timestamp authority matches the timestamp signer at ${ts.genTime.toISOString()}`);
  let firstError: unknown;
  for (const tsa of candidates) {
    try {
      await verifyWithAuthority(ts, tsa);
      return { time: ts.genTime, authority: tsa.uri || tsa.name };
    } catch (e) {
      firstError ??= e;
    }
  }
  throw firstError;
}
