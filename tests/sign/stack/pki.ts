/** Certificate and signing helpers for the test Sigstore stack (pkijs over WebCrypto: real keys, real signatures). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { p1363ToDer } from '../../../core/crypto/ecdsa-sig.js';

export type Keys = CryptoKeyPair;
export const ab = (u: Uint8Array) => u.slice().buffer as ArrayBuffer;

export async function p256(): Promise<Keys> {
  return (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as Keys;
}

export async function spki(k: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', k));
}

/** DER ECDSA-SHA256 signature, as Sigstore services write them. */
export async function sign(k: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return p1363ToDer(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k, ab(data))));
}

export function dn(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}

export const ext = (extnID: string, value: ArrayBuffer | Uint8Array, critical = false) =>
  new pkijs.Extension({ extnID, critical, extnValue: value instanceof Uint8Array ? ab(value) : value });

export const keyUsage = (byte: number, unused: number) => new asn1js.BitString({ valueHex: Uint8Array.of(byte).buffer, unusedBits: unused }).toBER(false);
export const eku = (...oids: string[]) => new pkijs.ExtKeyUsage({ keyPurposes: oids }).toSchema().toBER(false);

let serial = 1000;
export const nextSerial = () => serial++;

export interface CertSpec {
  subject?: string;
  issuerCn: string;
  issuerKey: CryptoKey;
  publicKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
  serial?: number;
}

export async function certificate(s: CertSpec): Promise<Uint8Array> {
  const c = new pkijs.Certificate();
  c.version = 2;
  c.serialNumber = new asn1js.Integer({ value: s.serial ?? nextSerial() });
  c.subject = s.subject === undefined ? new pkijs.RelativeDistinguishedNames() : dn(s.subject);
  c.issuer = dn(s.issuerCn);
  c.notBefore.value = s.notBefore;
  c.notAfter.value = s.notAfter;
  c.extensions = s.extensions;
  await c.subjectPublicKeyInfo.importKey(s.publicKey);
  await c.sign(s.issuerKey, 'SHA-256');
  return new Uint8Array(c.toSchema(true).toBER(false));
}

export interface Ca {
  cn: string;
  keys: Keys;
  der: Uint8Array;
}

/** A CA certificate (self-signed when `parent` is absent). */
export async function ca(cn: string, parent?: Ca, extra: pkijs.Extension[] = []): Promise<Ca> {
  const keys = await p256();
  const der = await certificate({
    subject: cn,
    issuerCn: parent?.cn ?? cn,
    issuerKey: parent?.keys.privateKey ?? keys.privateKey,
    publicKey: keys.publicKey,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    extensions: [ext('2.5.29.19', new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false), true), ext('2.5.29.15', keyUsage(0x06, 1), true), ...extra],
  });
  return { cn, keys, der };
}

/** JSON with sorted keys and no whitespace (what Rekor signs in SETs). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
