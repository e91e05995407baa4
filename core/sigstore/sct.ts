/** Embedded SCTs (RFC 6962 §3.2): each must verify against a trusted CT log valid at the SCT's time. */
import { fail } from '../errors.js';
import { digest, verifyBytes } from '../crypto/verify.js';
import { children, readTlv, tlv } from '../x509/der.js';
import { extension, OID, type Certificate } from '../x509/certificate.js';
import { concatBytes, equalBytes, toHex } from '../util/bytes.js';
import { within, type TrustRoot } from './trust-root.js';
import * as asn1js from 'asn1js';

export interface Sct {
  logId: Uint8Array;
  timestamp: bigint;
  extensions: Uint8Array;
  hashAlg: number;
  sigAlg: number;
  signature: Uint8Array;
}

const bad = (msg: string): never => fail('SCT_INVALID', msg);
/** DER of OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list). */
const SCT_LIST_OID_DER = Uint8Array.of(0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02);

/** Parses the TLS SignedCertificateTimestampList inside the extension's (second) OCTET STRING. */
export function parseSctList(list: Uint8Array): Sct[] {
  const u16 = (p: number) => {
    if (p + 2 > list.length) bad('Truncated SCT list');
    return (list[p]! << 8) | list[p + 1]!;
  };
  const total = u16(0);
  if (total + 2 !== list.length) bad('SCT list length mismatch');
  const out: Sct[] = [];
  let p = 2;
  while (p < list.length) {
    const len = u16(p);
    p += 2;
    const end = p + len;
    if (end > list.length) bad('Truncated SCT');
    const s = list.subarray(p, end);
    if (s[0] !== 0) bad(`Unsupported SCT version ${s[0]}`);
    if (s.length < 1 + 32 + 8 + 2) bad('Truncated SCT');
    const logId = s.subarray(1, 33);
    let timestamp = 0n;
    for (let i = 33; i < 41; i++) timestamp = (timestamp << 8n) | BigInt(s[i]!);
    const extLen = (s[41]! << 8) | s[42]!;
    let q = 43 + extLen;
    if (q + 4 > s.length) bad('Truncated SCT');
    const extensions = s.subarray(43, q);
    const hashAlg = s[q]!;
    const sigAlg = s[q + 1]!;
    const sigLen = (s[q + 2]! << 8) | s[q + 3]!;
    q += 4;
    if (q + sigLen !== s.length) bad('SCT signature length mismatch');
    out.push({ logId, timestamp, extensions, hashAlg, sigAlg, signature: s.subarray(q) });
    p = end;
  }
  return out;
}

/** The leaf's TBSCertificate with the SCT-list extension removed, lengths re-encoded, other bytes untouched. */
export function precertTbs(leaf: Certificate): Uint8Array {
  const tbs = leaf.cert.tbsView;
  const top = readTlv(tbs, 0);
  const parts = children(tbs, top);
  const extWrap = parts.find((t) => tbs[t.start] === 0xa3);
  if (!extWrap) bad('The certificate has no extensions');
  const extSeq = readTlv(tbs, extWrap!.body, extWrap!.end);
  const exts = children(tbs, extSeq).filter((e) => {
    const oid = readTlv(tbs, e.body, e.end);
    return !equalBytes(tbs.subarray(oid.start, oid.end), SCT_LIST_OID_DER);
  });
  const newExts = tlv(0x30, concatBytes(...exts.map((e) => tbs.subarray(e.start, e.end))));
  const newBody = concatBytes(...parts.map((t) => (t === extWrap ? tlv(0xa3, newExts) : tbs.subarray(t.start, t.end))));
  return tlv(0x30, newBody);
}

function u24(n: number): Uint8Array {
  return Uint8Array.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function sctSignedData(sct: Sct, issuerKeyHash: Uint8Array, tbs: Uint8Array): Uint8Array {
  const ts = new Uint8Array(8);
  for (let i = 0, v = sct.timestamp; i < 8; i++, v >>= 8n) ts[7 - i] = Number(v & 0xffn);
  return concatBytes(
    Uint8Array.of(0, 0), // version v1, signature_type certificate_timestamp
    ts,
    Uint8Array.of(0, 1), // entry_type precert_entry
    issuerKeyHash,
    u24(tbs.length),
    tbs,
    Uint8Array.of(sct.extensions.length >> 8, sct.extensions.length & 0xff),
    sct.extensions,
  );
}

/** Verifies every embedded SCT (an unverifiable one is a failure) and requires at least one. */
export async function verifyScts(leaf: Certificate, issuer: Certificate, trust: TrustRoot): Promise<number> {
  const ext = extension(leaf, OID.sctList);
  if (!ext) bad('The signing certificate has no embedded SCT: it was not logged to Certificate Transparency');
  let list: Uint8Array;
  try {
    const inner = asn1js.fromBER(ext!.extnValue.valueBlock.valueHexView.slice().buffer);
    if (!(inner.result instanceof asn1js.OctetString)) throw new Error();
    list = new Uint8Array(inner.result.valueBlock.valueHexView);
  } catch {
    bad('Malformed SCT list extension');
  }
  const scts = parseSctList(list!);
  if (scts.length === 0) bad('The SCT list is empty');
  const issuerKeyHash = await digest('SHA-256', new Uint8Array(issuer.cert.subjectPublicKeyInfo.toSchema().toBER(false)));
  const tbs = precertTbs(leaf);
  for (const sct of scts) {
    const at = new Date(Number(sct.timestamp));
    const logs = trust.ctlogs.filter((l) => equalBytes(l.logId, sct.logId) && within(l.validFor, at));
    if (logs.length === 0) bad(`No trusted CT log with ID ${toHex(sct.logId)} was valid at ${at.toISOString()}`);
    const data = sctSignedData(sct, issuerKeyHash, tbs);
    let ok = false;
    for (const l of logs) if (await verifyBytes(l.key, sctScheme(sct, l.scheme), sct.signature, data)) ok = true;
    if (!ok) bad('An embedded SCT has an invalid signature');
  }
  return scts.length;
}

/** RFC 5246 SignatureAndHashAlgorithm: hash 4/5/6 = SHA-256/384/512, sig 1 = RSA, 3 = ECDSA. */
function sctScheme(sct: Sct, fallback: import('../crypto/verify.js').SignatureScheme): import('../crypto/verify.js').SignatureScheme {
  const hash = ({ 4: 'SHA-256', 5: 'SHA-384', 6: 'SHA-512' } as const)[sct.hashAlg as 4 | 5 | 6];
  if (!hash) bad(`Unsupported SCT hash algorithm ${sct.hashAlg}`);
  if (sct.sigAlg === 3) return { name: 'ECDSA', hash: hash! };
  if (sct.sigAlg === 1) return { name: 'RSASSA-PKCS1-v1_5', hash: hash! };
  if (sct.sigAlg === 7) return { name: 'Ed25519' };
  return fallback;
}
