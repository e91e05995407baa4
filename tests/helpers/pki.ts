/**
 * Issues real test certificates with pkijs (EC P-256), for chain tests that need expired or foreign CAs, look-alike
 * intermediates (shared name and key), subject alternative names and nameConstraints.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KeyObject, sign } from 'node:crypto';
import { paeBytes } from './resign.js';

/** A distinguished name as [attribute OID or short name, value] pairs, one RDN each. */
export type Dn = readonly (readonly [string, string])[];

/** A GeneralName for SANs and name constraints (ip: "1.2.3.4" or "10.0.0.0/8" in constraints; raw: any type). */
export type GName = { dns: string } | { email: string } | { uri: string } | { ip: string } | { dn: Dn } | { raw: pkijs.GeneralName };

export interface TestCert {
  der: Uint8Array;
  pem: string;
  keys: CryptoKeyPair;
}

export type IssuedCert = TestCert & { cn: string; dn: Dn /** The exact subject Name, when given as one. */; rdn?: pkijs.RelativeDistinguishedNames };

let serial = 1000;

const SHORT: Record<string, string> = { CN: '2.5.4.3', C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', emailAddress: '1.2.840.113549.1.9.1' };

/** One RDN per attribute (pkijs, given typesAndValues, would put them all in one multi-valued RDN). */
export function name(dn: Dn): pkijs.RelativeDistinguishedNames {
  const rdns = dn.map(([t, v]) => {
    const type = SHORT[t] ?? t;
    // emailAddress is an IA5String (PKCS #9); C a PrintableString; the rest UTF8String.
    const value =
      type === SHORT.emailAddress
        ? new asn1js.IA5String({ value: v })
        : type === SHORT.C
          ? new asn1js.PrintableString({ value: v })
          : new asn1js.Utf8String({ value: v });
    return new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value }).toSchema()] });
  });
  const der = new asn1js.Sequence({ value: rdns }).toBER(false);
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(der).result });
}

function ipBytes(s: string): Uint8Array {
  const [addr, bitsText] = s.split('/');
  let out: number[];
  if (addr!.includes(':')) {
    const [head, tail] = addr!.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    out = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  } else out = addr!.split('.').map(Number);
  if (bitsText === undefined) return Uint8Array.from(out);
  const bits = Number(bitsText);
  const mask = out.map((_, i) => (bits >= (i + 1) * 8 ? 0xff : bits <= i * 8 ? 0 : (0xff << (8 - (bits - i * 8))) & 0xff));
  return Uint8Array.from([...out, ...mask]);
}

export function generalName(n: GName): pkijs.GeneralName {
  if ('raw' in n) return n.raw;
  if ('dns' in n) return new pkijs.GeneralName({ type: 2, value: n.dns });
  if ('email' in n) return new pkijs.GeneralName({ type: 1, value: n.email });
  if ('uri' in n) return new pkijs.GeneralName({ type: 6, value: n.uri });
  if ('ip' in n) return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(n.ip) }) });
  return new pkijs.GeneralName({ type: 4, value: name(n.dn) });
}

function bits(byte: number, unused: number): ArrayBuffer {
  return new asn1js.BitString({ valueHex: new Uint8Array([byte]).buffer, unusedBits: unused }).toBER(false);
}

export interface IssueOptions {
  cn: string;
  /** Full subject DN (default CN=cn). */
  dn?: Dn;
  /** The exact subject Name (its encoding included), e.g. copied from another certificate for a look-alike. */
  rdn?: pkijs.RelativeDistinguishedNames;
  issuer?: IssuedCert;
  /** Reuse a key pair (look-alike certificates share one). */
  keys?: CryptoKeyPair;
  ca?: boolean;
  pathLen?: number;
  notBefore?: Date;
  notAfter?: Date;
  keyUsage?: 'sign' | 'ca' | 'none';
  codeSigning?: boolean;
  san?: GName[];
  sanCritical?: boolean;
  nameConstraints?: { permitted?: GName[]; excluded?: GName[]; critical?: boolean; raw?: pkijs.NameConstraints };
  /** Extra extensions, as given. */
  extensions?: pkijs.Extension[];
}

export async function issue(opts: IssueOptions): Promise<IssuedCert> {
  const keys = opts.keys ?? ((await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair);
  const dn: Dn = opts.dn ?? [['CN', opts.cn]];
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial++ });
  cert.subject = opts.rdn ?? name(dn);
  cert.issuer = opts.issuer ? (opts.issuer.rdn ?? name(opts.issuer.dn)) : cert.subject;
  cert.notBefore.value = opts.notBefore ?? new Date(Date.now() - 86400_000);
  cert.notAfter.value = opts.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  const bc =
    opts.pathLen === undefined ? new pkijs.BasicConstraints({ cA: !!opts.ca }) : new pkijs.BasicConstraints({ cA: !!opts.ca, pathLenConstraint: opts.pathLen });
  const ext: pkijs.Extension[] = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: bc.toSchema().toBER(false) })];
  const ku = opts.keyUsage ?? (opts.ca ? 'ca' : 'sign');
  if (ku === 'sign') ext.push(new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: bits(0x80, 7) }));
  if (ku === 'ca') ext.push(new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: bits(0x06, 1) }));
  if (opts.codeSigning) {
    ext.push(new pkijs.Extension({ extnID: '2.5.29.37', extnValue: new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.3'] }).toSchema().toBER(false) }));
  }
  if (opts.san) {
    const v = new pkijs.GeneralNames({ names: opts.san.map(generalName) }).toSchema().toBER(false);
    ext.push(new pkijs.Extension({ extnID: '2.5.29.17', critical: !!opts.sanCritical, extnValue: v }));
  }
  if (opts.nameConstraints) {
    const nc = opts.nameConstraints;
    const sub = (names: GName[]) => names.map((n) => new pkijs.GeneralSubtree({ base: generalName(n) }));
    const value =
      nc.raw ??
      new pkijs.NameConstraints({
        ...(nc.permitted ? { permittedSubtrees: sub(nc.permitted) } : {}),
        ...(nc.excluded ? { excludedSubtrees: sub(nc.excluded) } : {}),
      });
    ext.push(new pkijs.Extension({ extnID: '2.5.29.30', critical: nc.critical ?? true, extnValue: value.toSchema().toBER(false) }));
  }
  ext.push(...(opts.extensions ?? []));
  cert.extensions = ext;
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign((opts.issuer?.keys ?? keys).privateKey, 'SHA-256');
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  const pem = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
  return opts.rdn ? { der, pem, keys, cn: opts.cn, dn, rdn: opts.rdn } : { der, pem, keys, cn: opts.cn, dn };
}

/**
 * `n` look-alike CA certificates: one subject name, one key, each naming itself as issuer — so every one of them
 * verifies as the issuer of every other (the path-building flood of issue 10). `leaf` is issued under that name.
 */
export async function lookAlikeFlood(n: number, cn = 'flood-ca'): Promise<{ cas: IssuedCert[]; leaf: IssuedCert }> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cas: IssuedCert[] = [];
  for (let i = 0; i < n; i++) cas.push(await issue({ cn, keys, ca: true }));
  const leaf = await issue({ cn: 'flood-leaf', issuer: cas[0]!, codeSigning: true });
  return { cas, leaf };
}

/** A certificate-method bundle over `payload`, signed by `leaf` (chain = leaf + extra). */
export async function certBundle(payload: Buffer, leaf: TestCert, extra: TestCert[] = []): Promise<string> {
  const key = KeyObject.from(leaf.keys.privateKey);
  const sig = sign('sha256', paeBytes('application/vnd.in-toto+json', payload), key);
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      x509CertificateChain: { certificates: [leaf, ...extra].map((c) => ({ rawBytes: Buffer.from(c.der).toString('base64') })) },
      tlogEntries: [],
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  });
}
