/**
 * A private Sigstore instance made of test doubles with real cryptography (WebCrypto + pkijs): Fulcio-like CA,
 * CT log, Rekor v1 (ECDSA, SET + checkpoint) and Rekor v2 (Ed25519 checkpoint), RFC 3161 TSA. It signs bundles
 * the public instance cannot give us offline: message signatures, Rekor v2 entries, key-mode, odd certificates.
 * Portable: runs in Node, Chromium and workerd.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { pae } from '../../core/bundle/dsse.js';
import { p1363ToDer } from '../../core/crypto/ecdsa-sig.js';
import { encodePem } from '../../core/crypto/pem.js';
import { precertTbs } from '../../core/sigstore/sct.js';
import { concatBytes, sha256, toBase64, toHex, utf8Encode } from '../../core/util/bytes.js';
import { parseCertificate } from '../../core/x509/certificate.js';
import { auditPath, mth } from './merkle-ref.js';

type Keys = CryptoKeyPair;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const b64 = toBase64;
const ab = (u: Uint8Array) => u.slice().buffer as ArrayBuffer;

async function ecKeys(): Promise<Keys> {
  return (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as Keys;
}
async function spkiOf(k: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', k));
}
async function ecSign(k: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return p1363ToDer(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k, ab(data))));
}
const utf8String = (s: string) => new Uint8Array(new asn1js.Utf8String({ value: s }).toBER(false));

function dn(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}
const ext = (extnID: string, value: ArrayBuffer | Uint8Array, critical = false) =>
  new pkijs.Extension({ extnID, critical, extnValue: value instanceof Uint8Array ? ab(value) : value });
const kuBits = (byte: number, unused: number) => new asn1js.BitString({ valueHex: Uint8Array.of(byte).buffer, unusedBits: unused }).toBER(false);

let serial = 1;
interface CertOpts {
  subject?: string;
  issuer: { keys: Keys; cn: string };
  keys: Keys;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
}
async function makeCert(o: CertOpts): Promise<Uint8Array> {
  const c = new pkijs.Certificate();
  c.version = 2;
  c.serialNumber = new asn1js.Integer({ value: serial++ });
  c.subject = o.subject === undefined ? new pkijs.RelativeDistinguishedNames() : dn(o.subject);
  c.issuer = dn(o.issuer.cn);
  c.notBefore.value = o.notBefore;
  c.notAfter.value = o.notAfter;
  c.extensions = o.extensions;
  await c.subjectPublicKeyInfo.importKey(o.keys.publicKey);
  await c.sign(o.issuer.keys.privateKey, 'SHA-256');
  return new Uint8Array(c.toSchema(true).toBER(false));
}

async function caCert(cn: string, keys: Keys, issuer: { keys: Keys; cn: string }, extra: pkijs.Extension[] = []): Promise<Uint8Array> {
  return makeCert({
    subject: cn,
    issuer,
    keys,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2034-01-01T00:00:00Z'),
    extensions: [ext('2.5.29.19', new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false), true), ext('2.5.29.15', kuBits(0x06, 1), true), ...extra],
  });
}

export interface LeafOptions {
  san?: { email?: string; uri?: string; otherName?: string };
  issuer?: string;
  claims?: Record<string, string>; // OID suffix (e.g. '12') → value
  codeSigning?: boolean;
  digitalSignature?: boolean;
  sctExtensions?: Uint8Array;
  withSct?: boolean;
}

export interface Instance {
  trustedRoot: Record<string, unknown>;
  /** Signs an artifact (message signature) or an in-toto statement (DSSE) into a bundle. */
  bundle(o: BundleOptions): Promise<string>;
}

export interface BundleOptions {
  artifact?: Uint8Array;
  statement?: Uint8Array;
  rekor: 'v1' | 'v2';
  kind?: 'hashedrekord' | 'dsse' | 'intoto';
  tsa?: boolean | 'ber';
  leaf?: LeafOptions;
  /** Sign with a bare key (managed-key bundle) instead of a Fulcio certificate. */
  keyMode?: boolean;
  signedAt?: Date;
}

const FULCIO = '1.3.6.1.4.1.57264.1.';

export async function createInstance(): Promise<Instance & { keyPem: () => Promise<string>; signingKeys: Keys }> {
  const rootKeys = await ecKeys();
  const interKeys = await ecKeys();
  const root = { keys: rootKeys, cn: 'test-fulcio-root' };
  const rootDer = await caCert(root.cn, rootKeys, root);
  const inter = { keys: interKeys, cn: 'test-fulcio-intermediate' };
  const interDer = await caCert(inter.cn, interKeys, root, [
    ext('2.5.29.37', new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.3'] }).toSchema().toBER(false)),
  ]);
  const ctKeys = await ecKeys();
  const ctSpki = await spkiOf(ctKeys.publicKey);
  const ctLogId = await sha256(ctSpki);
  const rekorKeys = await ecKeys();
  const rekorSpki = await spkiOf(rekorKeys.publicKey);
  const rekorLogId = await sha256(rekorSpki);
  const v2Keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as Keys;
  const v2Host = 'log2026-1.rekor.test';
  const v2Raw = new Uint8Array(await crypto.subtle.exportKey('raw', v2Keys.publicKey));
  const v2LogId = await sha256(concatBytes(utf8Encode(v2Host + '\n'), Uint8Array.of(1), v2Raw));
  const tsaRootKeys = await ecKeys();
  const tsaRoot = { keys: tsaRootKeys, cn: 'test-tsa-root' };
  const tsaRootDer = await caCert(tsaRoot.cn, tsaRootKeys, tsaRoot);
  const tsaKeys = await ecKeys();
  const tsaLeafDer = await makeCert({
    subject: 'test-tsa',
    issuer: tsaRoot,
    keys: tsaKeys,
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2034-01-01T00:00:00Z'),
    extensions: [
      ext('2.5.29.15', kuBits(0x80, 7), true),
      ext('2.5.29.37', new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.8'] }).toSchema().toBER(false), true),
    ],
  });
  const signingKeys = await ecKeys();
  const start = { start: '2024-01-01T00:00:00Z' };

  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(rekorSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start },
        logId: { keyId: b64(rekorLogId) },
      },
      {
        baseUrl: `https://${v2Host}`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(await spkiOf(v2Keys.publicKey)), keyDetails: 'PKIX_ED25519', validFor: start },
        logId: { keyId: b64(v2LogId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { commonName: 'test-fulcio' },
        uri: 'https://fulcio.test',
        certChain: { certificates: [{ rawBytes: b64(interDer) }, { rawBytes: b64(rootDer) }] },
        validFor: start,
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ct.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start },
        logId: { keyId: b64(ctLogId) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { commonName: 'test-tsa' },
        uri: 'https://tsa.test',
        certChain: { certificates: [{ rawBytes: b64(tsaLeafDer) }, { rawBytes: b64(tsaRootDer) }] },
        validFor: start,
      },
    ],
  };

  async function issueLeaf(o: LeafOptions, at: Date): Promise<Uint8Array> {
    // SAN built with asn1js directly: pkijs wraps an otherName EXPLICITly, where RFC 5280 (and Fulcio) use IMPLICIT.
    const names: asn1js.AsnType[] = [];
    const san = o.san ?? { email: 'signer@example.com' };
    const prim = (tag: number, s: string) => new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: tag }, valueHex: ab(utf8Encode(s)) });
    if (san.email) names.push(prim(1, san.email));
    if (san.uri) names.push(prim(6, san.uri));
    if (san.otherName) {
      const explicit0 = new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Utf8String({ value: san.otherName })] });
      names.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.ObjectIdentifier({ value: FULCIO + '7' }), explicit0] }));
    }
    const sanDer = new asn1js.Sequence({ value: names }).toBER(false);
    const issuer = o.issuer ?? 'https://issuer.test';
    const exts = [
      ext('2.5.29.15', kuBits(o.digitalSignature === false ? 0x20 : 0x80, o.digitalSignature === false ? 5 : 7), true),
      ext('2.5.29.37', new pkijs.ExtKeyUsage({ keyPurposes: [o.codeSigning === false ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.3'] }).toSchema().toBER(false)),
      ext('2.5.29.17', sanDer, true),
      ext(FULCIO + '1', utf8Encode(issuer)),
      ext(FULCIO + '8', utf8String(issuer)),
      ...Object.entries(o.claims ?? {}).map(([k, v]) => ext(FULCIO + k, utf8String(v))),
    ];
    const opts: CertOpts = {
      issuer: inter,
      keys: signingKeys,
      notBefore: new Date(at.getTime() - 60_000),
      notAfter: new Date(at.getTime() + 540_000),
      extensions: exts,
    };
    if (o.withSct === false) return makeCert(opts);
    // Draft with a placeholder SCT list, to learn the pre-certificate TBS; then the real SCT over it.
    const sctExt = (list: Uint8Array) => ext('1.3.6.1.4.1.11129.2.4.2', new asn1js.OctetString({ valueHex: ab(list) }).toBER(false));
    const s0 = serial;
    const draft = await makeCert({ ...opts, extensions: [...exts, sctExt(Uint8Array.of(0, 0))] });
    const tbs = precertTbs(parseCertificate(draft));
    const sctExts = o.sctExtensions ?? new Uint8Array();
    const ts = new Uint8Array(8);
    new DataView(ts.buffer).setBigUint64(0, BigInt(at.getTime()));
    const issuerKeyHash = await sha256(await spkiOf(interKeys.publicKey));
    const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
    const signed = concatBytes(
      Uint8Array.of(0, 0),
      ts,
      Uint8Array.of(0, 1),
      issuerKeyHash,
      Uint8Array.of(tbs.length >> 16, (tbs.length >> 8) & 0xff, tbs.length & 0xff),
      tbs,
      u16(sctExts.length),
      sctExts,
    );
    const sig = await ecSign(ctKeys.privateKey, signed);
    const sct = concatBytes(Uint8Array.of(0), ctLogId, ts, u16(sctExts.length), sctExts, Uint8Array.of(4, 3), u16(sig.length), sig);
    const list = concatBytes(u16(sct.length + 2), u16(sct.length), sct);
    serial = s0; // same serial as the draft, so the TBS matches
    return makeCert({ ...opts, extensions: [...exts, sctExt(list)] });
  }

  async function timestamp(signature: Uint8Array, at: Date, berEContent = false): Promise<Uint8Array> {
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: '1.2.3.4',
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }),
        hashedMessage: new asn1js.OctetString({ valueHex: ab(await sha256(signature)) }),
      }),
      serialNumber: new asn1js.Integer({ value: serial++ }),
      genTime: at,
    });
    const tstDer = new Uint8Array(tst.toSchema().toBER(false));
    const leaf = parseCertificate(tsaLeafDer).cert;
    const attrs = [
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.9.16.1.4' })] }),
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.5', values: [new asn1js.UTCTime({ valueDate: at })] }), // signingTime, as real TSAs send
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: ab(await sha256(tstDer)) })] }),
    ];
    const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs });
    const attrSet = new Uint8Array(new asn1js.Set({ value: attrs.map((a) => a.toSchema()) }).toBER(false));
    const sig = await ecSign(tsaKeys.privateKey, attrSet);
    const si = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
      digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }),
      signedAttrs,
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }),
      signature: new asn1js.OctetString({ valueHex: ab(sig) }),
    });
    // Real TSAs write eContent as a primitive OCTET STRING (DER); pkijs writes a constructed one (BER): offer both.
    const eContent = berEContent
      ? new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.9.16.1.4', eContent: new asn1js.OctetString({ valueHex: ab(tstDer) }) }).toSchema()
      : new asn1js.Sequence({
          value: [
            new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.9.16.1.4' }),
            new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString({ valueHex: ab(tstDer) })] }),
          ],
        });
    const sd = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 3 }),
        new asn1js.Set({ value: [new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1' }).toSchema()] }),
        eContent,
        new asn1js.Set({ value: [si.toSchema()] }),
      ],
    });
    const token = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd });
    const resp = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] }), token.toSchema()] });
    return new Uint8Array(resp.toBER(false));
  }

  async function logEntry(body: Uint8Array, v: 'v1' | 'v2', kind: string, version: string, at: Date) {
    // A small tree with our entry somewhere inside it.
    const leaves: Uint8Array[] = Array.from({ length: 6 }, (_, i) => utf8Encode(`other entry ${i}`));
    const idx = 3;
    leaves.splice(idx, 0, body);
    const root = await mth(leaves);
    const hashes = await auditPath(idx, leaves);
    const origin = v === 'v1' ? 'rekor.test - 1234567890' : v2Host;
    const note = `${origin}\n${leaves.length}\n${b64(root)}\n`;
    const noteSig =
      v === 'v1'
        ? await ecSign(rekorKeys.privateKey, utf8Encode(note))
        : new Uint8Array(await crypto.subtle.sign('Ed25519', v2Keys.privateKey, ab(utf8Encode(note))));
    const logId = v === 'v1' ? rekorLogId : v2LogId;
    const name = v === 'v1' ? 'rekor.test' : v2Host;
    const checkpoint = `${note}\n\u2014 ${name} ${b64(concatBytes(logId.subarray(0, 4), noteSig))}\n`;
    const globalIndex = v === 'v1' ? 1000 + idx : idx; // Rekor v1 is sharded (global ≠ shard index); v2 is not
    const entry: Record<string, unknown> = {
      logIndex: String(globalIndex),
      logId: { keyId: b64(logId) },
      kindVersion: { kind, version },
      integratedTime: v === 'v1' ? String(Math.floor(at.getTime() / 1000)) : '0',
      inclusionProof: {
        logIndex: String(idx),
        rootHash: b64(root),
        treeSize: String(leaves.length),
        hashes: hashes.map(b64),
        checkpoint: { envelope: checkpoint },
      },
      canonicalizedBody: b64(body),
    };
    if (v === 'v1') {
      const payload = `{"body":"${b64(body)}","integratedTime":${Math.floor(at.getTime() / 1000)},"logID":"${toHex(logId)}","logIndex":${globalIndex}}`;
      entry.inclusionPromise = { signedEntryTimestamp: b64(await ecSign(rekorKeys.privateKey, utf8Encode(payload))) };
    }
    return entry;
  }

  return {
    trustedRoot,
    signingKeys,
    keyPem: async () => encodePem('PUBLIC KEY', await spkiOf(signingKeys.publicKey)),
    async bundle(o) {
      const at = o.signedAt ?? new Date('2026-03-01T12:00:00Z');
      const leafDer = o.keyMode ? undefined : await issueLeaf(o.leaf ?? {}, at);
      const spki = await spkiOf(signingKeys.publicKey);
      const verifierPem = leafDer ? encodePem('CERTIFICATE', leafDer) : encodePem('PUBLIC KEY', spki);
      const v2Verifier = leafDer
        ? { x509Certificate: { rawBytes: b64(leafDer) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }
        : { publicKey: { rawBytes: b64(spki) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
      let content: Record<string, unknown>;
      let sig: Uint8Array;
      let body: unknown;
      let kv: [string, string];
      if (o.artifact) {
        const digest = await sha256(o.artifact);
        sig = await ecSign(signingKeys.privateKey, o.artifact);
        content = { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: b64(sig) } };
        if (o.rekor === 'v1') {
          kv = ['hashedrekord', '0.0.1'];
          body = {
            apiVersion: '0.0.1',
            kind: 'hashedrekord',
            spec: {
              data: { hash: { algorithm: 'sha256', value: toHex(digest) } },
              signature: { content: b64(sig), publicKey: { content: b64(utf8Encode(verifierPem)) } },
            },
          };
        } else {
          kv = ['hashedrekord', '0.0.2'];
          body = {
            apiVersion: '0.0.2',
            kind: 'hashedrekord',
            spec: { hashedRekordV002: { data: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: { content: b64(sig), verifier: v2Verifier } } },
          };
        }
      } else {
        const statement = o.statement!;
        const type = 'application/vnd.in-toto+json';
        const paeBytes = pae(type, statement);
        sig = await ecSign(signingKeys.privateKey, paeBytes);
        content = { dsseEnvelope: { payload: b64(statement), payloadType: type, signatures: [{ sig: b64(sig), keyid: '' }] } };
        if (o.rekor === 'v1' && o.kind === 'intoto') {
          // Legacy intoto 0.0.2: the signature is base64 of the base64 signature.
          kv = ['intoto', '0.0.2'];
          body = {
            apiVersion: '0.0.2',
            kind: 'intoto',
            spec: {
              content: {
                envelope: { payloadType: type, signatures: [{ sig: b64(utf8Encode(b64(sig))), publicKey: b64(utf8Encode(verifierPem)) }] },
                payloadHash: { algorithm: 'sha256', value: toHex(await sha256(statement)) },
                hash: { algorithm: 'sha256', value: '00' },
              },
            },
          };
        } else if (o.rekor === 'v1') {
          kv = ['dsse', '0.0.1'];
          body = {
            apiVersion: '0.0.1',
            kind: 'dsse',
            spec: {
              envelopeHash: { algorithm: 'sha256', value: '00' },
              payloadHash: { algorithm: 'sha256', value: toHex(await sha256(statement)) },
              signatures: [{ signature: b64(sig), verifier: b64(utf8Encode(verifierPem)) }],
            },
          };
        } else if (o.kind === 'dsse') {
          kv = ['dsse', '0.0.2'];
          body = {
            apiVersion: '0.0.2',
            kind: 'dsse',
            spec: {
              dsseV002: {
                payloadHash: { algorithm: 'SHA2_256', digest: b64(await sha256(statement)) },
                signatures: [{ content: b64(sig), verifier: v2Verifier }],
              },
            },
          };
        } else {
          kv = ['hashedrekord', '0.0.2'];
          body = {
            apiVersion: '0.0.2',
            kind: 'hashedrekord',
            spec: {
              hashedRekordV002: {
                data: { algorithm: 'SHA2_256', digest: b64(await sha256(paeBytes)) },
                signature: { content: b64(sig), verifier: v2Verifier },
              },
            },
          };
        }
      }
      const entry = await logEntry(utf8Encode(JSON.stringify(body)), o.rekor, kv[0], kv[1], at);
      const vm: Record<string, unknown> = leafDer ? { certificate: { rawBytes: b64(leafDer) } } : { publicKey: { hint: toHex(await sha256(spki)) } };
      vm.tlogEntries = [entry];
      if (o.tsa)
        vm.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: b64(await timestamp(sig, new Date(at.getTime() + 1000), o.tsa === 'ber')) }] };
      return JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: vm, ...content });
    },
  };
}
