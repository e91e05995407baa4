/**
 * A Fulcio-like CA: checks the OIDC token (ES256 signature by a configured issuer, audience, expiry) and the
 * proof of possession, then issues a short-lived leaf with the Sigstore extensions and an SCT from the test
 * CT log embedded (RFC 6962 precertificate signature over the TBS without the SCT extension).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derToP1363 } from '../../../core/crypto/ecdsa-sig.js';
import { decodePem, encodePem } from '../../../core/crypto/pem.js';
import { precertTbs } from '../../../core/sigstore/sct.js';
import { concatBytes, fromBase64, sha256, utf8Decode, utf8Encode } from '../../../core/util/bytes.js';
import { parseCertificate } from '../../../core/x509/certificate.js';
import { ab, ca, certificate, eku, ext, keyUsage, nextSerial, p256, sign, spki, type Ca, type Keys } from './pki.js';
import type { OidcIssuer } from './oidc.js';

const FULCIO = '1.3.6.1.4.1.57264.1.';
const utf8String = (s: string) => new Uint8Array(new asn1js.Utf8String({ value: s }).toBER(false));

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class TestFulcio {
  requests = 0;
  private constructor(
    readonly root: Ca,
    readonly intermediate: Ca,
    readonly ct: Keys,
    readonly ctSpki: Uint8Array,
    private readonly issuers: OidcIssuer[],
  ) {}

  static async create(issuers: OidcIssuer[]): Promise<TestFulcio> {
    const root = await ca('test-fulcio-root');
    const intermediate = await ca('test-fulcio-intermediate', root, [ext('2.5.29.37', eku('1.3.6.1.5.5.7.3.3'))]);
    const ct = await p256();
    return new TestFulcio(root, intermediate, ct, await spki(ct.publicKey), issuers);
  }

  private async verifyToken(token: string): Promise<Record<string, unknown>> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new HttpError(401, 'malformed token');
    const claims = JSON.parse(utf8Decode(fromBase64(parts[1]!, 'jwt'), 'jwt')) as Record<string, unknown>;
    const issuer = this.issuers.find((i) => i.url === claims.iss);
    if (!issuer) throw new HttpError(401, `untrusted issuer ${String(claims.iss)}`);
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      issuer.keys.publicKey,
      ab(fromBase64(parts[2]!, 'sig')),
      ab(utf8Encode(`${parts[0]}.${parts[1]}`)),
    );
    if (!ok) throw new HttpError(401, 'bad token signature');
    if (claims.aud !== 'sigstore') throw new HttpError(401, 'wrong audience');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) throw new HttpError(401, 'token expired');
    return claims;
  }

  /** POST /api/v2/signingCert */
  async signingCert(req: unknown): Promise<unknown> {
    this.requests++;
    const r = req as { credentials?: { oidcIdentityToken?: string }; publicKeyRequest?: { publicKey?: { content?: string }; proofOfPossession?: string } };
    const token = r.credentials?.oidcIdentityToken;
    const pem = r.publicKeyRequest?.publicKey?.content;
    const pop = r.publicKeyRequest?.proofOfPossession;
    if (!token || !pem || !pop) throw new HttpError(400, 'missing token, key or proof');
    const claims = await this.verifyToken(token);
    const der = decodePem(pem, ['PUBLIC KEY'], 'public key').der;
    const key = await crypto.subtle.importKey('spki', ab(der), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const subject = String(claims.email ?? claims.sub);
    const popOk = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToP1363(fromBase64(pop, 'pop'), 32), ab(utf8Encode(subject)));
    if (!popOk) throw new HttpError(400, 'proof of possession does not verify');
    const leaf = await this.issue(key, claims);
    return { signedCertificateEmbeddedSct: { chain: { certificates: [leaf, this.intermediate.der, this.root.der].map((d) => encodePem('CERTIFICATE', d)) } } };
  }

  private async issue(key: CryptoKey, claims: Record<string, unknown>): Promise<Uint8Array> {
    const iss = String(claims.iss);
    const san =
      typeof claims.email === 'string'
        ? new pkijs.GeneralName({ type: 1, value: claims.email })
        : new pkijs.GeneralName({ type: 6, value: String(claims.sub) });
    const exts = [
      ext('2.5.29.15', keyUsage(0x80, 7), true),
      ext('2.5.29.37', eku('1.3.6.1.5.5.7.3.3')),
      ext('2.5.29.17', new pkijs.AltName({ altNames: [san] }).toSchema().toBER(false), true),
      ext(FULCIO + '1', utf8Encode(iss)),
      ext(FULCIO + '8', utf8String(iss)),
    ];
    const now = Date.now();
    const spec = {
      issuerCn: this.intermediate.cn,
      issuerKey: this.intermediate.keys.privateKey,
      publicKey: key,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 600_000),
      serial: nextSerial(),
    };
    const sctExt = (list: Uint8Array) => ext('1.3.6.1.4.1.11129.2.4.2', new asn1js.OctetString({ valueHex: ab(list) }).toBER(false));
    // Draft with a placeholder SCT list to obtain the precertificate TBS, then the real SCT over it.
    const draft = await certificate({ ...spec, extensions: [...exts, sctExt(Uint8Array.of(0, 0))] });
    const tbs = precertTbs(parseCertificate(draft));
    const ts = new Uint8Array(8);
    new DataView(ts.buffer).setBigUint64(0, BigInt(now));
    const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
    const issuerKeyHash = await sha256(await spki(this.intermediate.keys.publicKey));
    const signed = concatBytes(
      Uint8Array.of(0, 0),
      ts,
      Uint8Array.of(0, 1),
      issuerKeyHash,
      Uint8Array.of(tbs.length >> 16, (tbs.length >> 8) & 0xff, tbs.length & 0xff),
      tbs,
      u16(0),
    );
    const sig = await sign(this.ct.privateKey, signed);
    const logId = await sha256(this.ctSpki);
    const sct = concatBytes(Uint8Array.of(0), logId, ts, u16(0), Uint8Array.of(4, 3), u16(sig.length), sig);
    return certificate({ ...spec, extensions: [...exts, sctExt(concatBytes(u16(sct.length + 2), u16(sct.length), sct))] });
  }
}
