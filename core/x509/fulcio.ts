/** Fulcio certificate contents: identities (SAN), OIDC issuer and CI claims (sigstore/fulcio docs/oid-info.md). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from '../errors.js';
import { utf8Decode } from '../util/bytes.js';
import { extension, OID, type Certificate } from './certificate.js';
import { readTlv } from './der.js';

const FULCIO = '1.3.6.1.4.1.57264.1.';
export const OID_ISSUER_V1 = FULCIO + '1';
export const OID_ISSUER_V2 = FULCIO + '8';
export const OID_OTHERNAME_SAN = FULCIO + '7';

/** Raw-string claims (.1.2–.1.6, deprecated) and DER UTF8String claims (.1.9 onwards). */
const RAW_CLAIMS: Record<string, string> = {
  [FULCIO + '2']: 'githubWorkflowTrigger',
  [FULCIO + '3']: 'githubWorkflowSha',
  [FULCIO + '4']: 'githubWorkflowName',
  [FULCIO + '5']: 'githubWorkflowRepository',
  [FULCIO + '6']: 'githubWorkflowRef',
};
const DER_CLAIMS: Record<string, string> = {
  [FULCIO + '9']: 'buildSignerURI',
  [FULCIO + '10']: 'buildSignerDigest',
  [FULCIO + '11']: 'runnerEnvironment',
  [FULCIO + '12']: 'sourceRepositoryURI',
  [FULCIO + '13']: 'sourceRepositoryDigest',
  [FULCIO + '14']: 'sourceRepositoryRef',
  [FULCIO + '15']: 'sourceRepositoryIdentifier',
  [FULCIO + '16']: 'sourceRepositoryOwnerURI',
  [FULCIO + '17']: 'sourceRepositoryOwnerIdentifier',
  [FULCIO + '18']: 'buildConfigURI',
  [FULCIO + '19']: 'buildConfigDigest',
  [FULCIO + '20']: 'buildTrigger',
  [FULCIO + '21']: 'runInvocationURI',
  [FULCIO + '22']: 'sourceRepositoryVisibilityAtSigning',
};

export interface FulcioIdentity {
  /** SAN values usable as identities: email, URI, Sigstore otherName (username). */
  sans: string[];
  issuer?: string;
  claims: Record<string, string>;
}

function rawValue(ext: pkijs.Extension): Uint8Array {
  return new Uint8Array(ext.extnValue.valueBlock.valueHexView);
}

function derUtf8(bytes: Uint8Array, what: string): string {
  const t = readTlv(bytes, 0);
  if (t.tag !== 0x0c || t.end !== bytes.length) fail('CERT_MALFORMED', `${what} is not a DER UTF8String`);
  return utf8Decode(bytes.subarray(t.body, t.end), what, 'CERT_MALFORMED');
}

export function fulcioIdentity(c: Certificate): FulcioIdentity {
  const sans: string[] = [];
  const san = extension(c, OID.subjectAltName);
  if (san) {
    const names = san.parsedValue as pkijs.AltName | undefined;
    // pkijs yields an empty list for a SAN it cannot parse: that is malformed, not "no identity".
    if (!names?.altNames?.length) fail('CERT_MALFORMED', 'Malformed subjectAltName extension');
    for (const n of names.altNames) {
      if ((n.type === 1 || n.type === 6) && typeof n.value === 'string') sans.push(n.value);
      if (n.type === 0) {
        // otherName: SEQUENCE { type-id OID, [0] EXPLICIT value } — pkijs keeps the raw structure.
        const seq = n.value as asn1js.Sequence | undefined;
        const parts = (seq?.valueBlock as { value?: asn1js.AsnType[] })?.value;
        const oid = parts?.[0];
        if (oid instanceof asn1js.ObjectIdentifier && oid.valueBlock.toString() === OID_OTHERNAME_SAN) {
          const inner = (parts?.[1] as asn1js.Constructed | undefined)?.valueBlock.value[0];
          if (inner instanceof asn1js.Utf8String) sans.push(inner.valueBlock.value);
        }
      }
    }
  }
  const claims: Record<string, string> = {};
  let issuerV1: string | undefined;
  let issuerV2: string | undefined;
  for (const e of c.cert.extensions ?? []) {
    if (!e.extnID.startsWith(FULCIO)) continue;
    const raw = rawValue(e);
    if (e.extnID === OID_ISSUER_V1) issuerV1 = utf8Decode(raw, 'Fulcio issuer', 'CERT_MALFORMED');
    else if (e.extnID === OID_ISSUER_V2) issuerV2 = derUtf8(raw, 'Fulcio issuer (v2)');
    else if (RAW_CLAIMS[e.extnID]) claims[RAW_CLAIMS[e.extnID]!] = utf8Decode(raw, e.extnID, 'CERT_MALFORMED');
    else if (e.extnID !== OID_OTHERNAME_SAN) {
      const name = DER_CLAIMS[e.extnID] ?? e.extnID;
      try {
        claims[name] = derUtf8(raw, e.extnID);
      } catch (err) {
        if (DER_CLAIMS[e.extnID]) throw err; // unknown OIDs need not be strings
      }
    }
  }
  const issuer = issuerV2 ?? issuerV1;
  return issuer === undefined ? { sans, claims } : { sans, issuer, claims };
}
