/** Issues real test certificates with pkijs (EC P-256), for chain tests that need expired or foreign CAs. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KeyObject, sign } from 'node:crypto';
import { paeBytes } from './resign.js';

export interface TestCert {
  der: Uint8Array;
  pem: string;
  keys: CryptoKeyPair;
}

let serial = 1000;

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}

function bits(byte: number, unused: number): ArrayBuffer {
  return new asn1js.BitString({ valueHex: new Uint8Array([byte]).buffer, unusedBits: unused }).toBER(false);
}

export async function issue(opts: {
  cn: string;
  issuer?: TestCert & { cn: string };
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  keyUsage?: 'sign' | 'ca' | 'none';
  codeSigning?: boolean;
}): Promise<TestCert & { cn: string }> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial++ });
  cert.subject = name(opts.cn);
  cert.issuer = name(opts.issuer?.cn ?? opts.cn);
  cert.notBefore.value = opts.notBefore ?? new Date(Date.now() - 86400_000);
  cert.notAfter.value = opts.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  const ext: pkijs.Extension[] = [
    new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: !!opts.ca }).toSchema().toBER(false) }),
  ];
  const ku = opts.keyUsage ?? (opts.ca ? 'ca' : 'sign');
  if (ku === 'sign') ext.push(new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: bits(0x80, 7) }));
  if (ku === 'ca') ext.push(new pkijs.Extension({ extnID: '2.5.29.15', critical: true, extnValue: bits(0x06, 1) }));
  if (opts.codeSigning) {
    ext.push(new pkijs.Extension({ extnID: '2.5.29.37', extnValue: new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.3'] }).toSchema().toBER(false) }));
  }
  cert.extensions = ext;
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign((opts.issuer?.keys ?? keys).privateKey, 'SHA-256');
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return { der, pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, keys, cn: opts.cn };
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
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  });
}
