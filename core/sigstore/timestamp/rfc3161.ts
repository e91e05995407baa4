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
import { ab, equalBytes, toHex } from '../../util/bytes.js';
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

export function parseTimestamp(bytes: Uint8Array): ParsedTimestamp {
  let signed: pkijs.SignedData;
  try {
    const asn = asn1js.fromBER(ab(bytes));
    if (asn.offset === -1 || asn.offset !== bytes.length) throw new Error('trailing bytes');
    const resp = new pkijs.TimeStampResp({ schema: asn.result });
    if (resp.status.status !== 0 && resp.status.status !== 1) bad(`The timestamp authority refused the request (status ${resp.status.status})`);
    const token = resp.timeStampToken;
    if (!token || token.contentType !== OID_SIGNED_DATA) bad('The timestamp response carries no signed token');
    signed = new pkijs.SignedData({ schema: token!.content });
  } catch (e) {
    if ((e as { code?: string }).code === 'TIMESTAMP_INVALID') throw e;
    bad(`The RFC 3161 timestamp is malformed: ${(e as Error).message}`);
  }
  const eci = signed!.encapContentInfo;
  if (eci.eContentType !== OID_TST_INFO || !eci.eContent) bad('The timestamp token does not contain a TSTInfo');
  const tstInfoDer = new Uint8Array(eci.eContent!.getValue());
  let tst: pkijs.TSTInfo;
  try {
    tst = new pkijs.TSTInfo({ schema: asn1js.fromBER(ab(tstInfoDer)).result });
  } catch {
    bad('The timestamp TSTInfo is malformed');
  }
  if (signed!.signerInfos.length !== 1) bad('The timestamp token must have exactly one signer');
  const imprintHash = DIGEST_OIDS[tst!.messageImprint.hashAlgorithm.algorithmId];
  if (!imprintHash) bad(`Unsupported timestamp message imprint algorithm ${tst!.messageImprint.hashAlgorithm.algorithmId}`);
  return {
    genTime: tst!.genTime,
    imprintHash: imprintHash!,
    imprint: new Uint8Array(tst!.messageImprint.hashedMessage.valueBlock.valueHexView),
    tstInfoDer,
    signer: signed!.signerInfos[0]!,
  };
}

function signerMatches(si: pkijs.SignerInfo, leaf: Certificate): boolean {
  const sid = si.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return equalBytes(der(sid.issuer), der(leaf.cert.issuer)) && equalBytes(sid.serialNumber.valueBlock.valueHexView, leaf.cert.serialNumber.valueBlock.valueHexView);
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
  await buildChain(leaf, tsa.certs.slice(1, -1), anchors.slice(-1), { time: ts.genTime }).catch((e) => bad(`The timestamp authority's certificate chain is not valid at ${ts.genTime.toISOString()}: ${(e as Error).message}`));
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
