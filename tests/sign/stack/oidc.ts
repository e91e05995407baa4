/** A test OIDC issuer: mints ES256 JWTs (real signatures) that the test Fulcio verifies. */
import { toBase64, utf8Encode } from '../../../core/util/bytes.js';
import { ab, p256, type Keys } from './pki.js';

const b64url = (b: Uint8Array) => toBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export class OidcIssuer {
  private constructor(
    readonly url: string,
    readonly keys: Keys,
  ) {}

  static async create(url: string): Promise<OidcIssuer> {
    return new OidcIssuer(url, await p256());
  }

  /** A signed ID token; `claims` override the defaults (e.g. an expired `exp`, another `aud`). */
  async mint(claims: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', kid: 'test' };
    const body = { iss: this.url, aud: 'sigstore', sub: 'signer@example.com', email: 'signer@example.com', email_verified: true, iat: now, exp: now + 600, ...claims };
    const input = `${b64url(utf8Encode(JSON.stringify(header)))}.${b64url(utf8Encode(JSON.stringify(body)))}`;
    // JWS ES256 signatures are raw r||s (P1363), which is what WebCrypto produces.
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, ab(utf8Encode(input))));
    return `${input}.${b64url(sig)}`;
  }
}
