/** An RFC 3161 TSA: answers DER TimeStampReq with a CMS-signed TSTInfo echoing the imprint and nonce. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { sha256 } from '../../../core/util/bytes.js';
import { parseCertificate } from '../../../core/x509/certificate.js';
import { HttpError } from './fulcio.js';
import { ab, ca, certificate, eku, ext, keyUsage, p256, sign, type Ca, type Keys } from './pki.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const TST_INFO = '1.2.840.113549.1.9.16.1.4';

export class TestTsa {
  private serial = 1;
  private constructor(
    readonly root: Ca,
    readonly keys: Keys,
    readonly leaf: Uint8Array,
  ) {}

  static async create(): Promise<TestTsa> {
    const root = await ca('test-tsa-root');
    const keys = await p256();
    const leaf = await certificate({
      subject: 'test-tsa',
      issuerCn: root.cn,
      issuerKey: root.keys.privateKey,
      publicKey: keys.publicKey,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2040-01-01T00:00:00Z'),
      extensions: [ext('2.5.29.15', keyUsage(0x80, 7), true), ext('2.5.29.37', eku('1.3.6.1.5.5.7.3.8'), true)],
    });
    return new TestTsa(root, keys, leaf);
  }

  /** POST (application/timestamp-query) → application/timestamp-reply */
  async timestamp(reqDer: Uint8Array): Promise<Uint8Array> {
    let req: pkijs.TimeStampReq;
    try {
      const asn = asn1js.fromBER(ab(reqDer));
      req = new pkijs.TimeStampReq({ schema: asn.result });
    } catch {
      throw new HttpError(400, 'malformed TimeStampReq');
    }
    if (req.messageImprint.hashAlgorithm.algorithmId !== SHA256) throw new HttpError(400, 'only sha256 imprints');
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: '1.2.3.4.5',
      messageImprint: req.messageImprint,
      serialNumber: new asn1js.Integer({ value: this.serial++ }),
      // Whole seconds: @sigstore/core 3.x cannot parse fractional GeneralizedTime (RFC 3161 allows it).
      genTime: new Date(Math.floor(Date.now() / 1000) * 1000),
      ...(req.nonce ? { nonce: req.nonce } : {}),
    });
    const tstDer = new Uint8Array(tst.toSchema().toBER(false));
    const leaf = parseCertificate(this.leaf).cert;
    const attrs = [
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: TST_INFO })] }),
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: ab(await sha256(tstDer)) })] }),
    ];
    const attrSet = new Uint8Array(new asn1js.Set({ value: attrs.map((a) => a.toSchema()) }).toBER(false));
    const si = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
      digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 }),
      signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }),
      signature: new asn1js.OctetString({ valueHex: ab(await sign(this.keys.privateKey, attrSet)) }),
    });
    const sd = new pkijs.SignedData({
      version: 3,
      digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 })],
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: TST_INFO, eContent: new asn1js.OctetString({ valueHex: ab(tstDer) }) }),
      signerInfos: [si],
      ...(req.certReq ? { certificates: [leaf] } : {}),
    });
    // pkijs's constructor turns eContent into a constructed (BER) OCTET STRING; TSAs emit DER, so set it after.
    sd.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: ab(tstDer) });
    const token = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) });
    return new Uint8Array(new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] }), token.toSchema()] }).toBER(false));
  }
}
