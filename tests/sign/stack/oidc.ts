/**
 * A test OIDC issuer (Dex-like): mints ES256 JWTs (real signatures) that the test Fulcio verifies, with discovery,
 * a PKCE authorization-code flow and a device flow. `approve*` stand in for the user signing in in a browser.
 */
import { sha256, toBase64, utf8Encode } from '../../../core/util/bytes.js';
import { HttpError } from './fulcio.js';
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

  private codes = new Map<string, { challenge: string; redirectUri: string; nonce: string }>();
  private devices = new Map<string, { userCode: string; approved: boolean; polls: number }>();
  private n = 0;

  discovery(): Record<string, string> {
    return {
      issuer: this.url,
      authorization_endpoint: `${this.url}/auth`,
      token_endpoint: `${this.url}/token`,
      device_authorization_endpoint: `${this.url}/device/code`,
    };
  }

  /** The user opens the authorization URL and signs in: returns what the redirect (or the OOB page) carries. */
  approve(authorizationUrl: string): { code: string; state: string } {
    const q = new URL(authorizationUrl).searchParams;
    if (q.get('client_id') !== 'sigstore' || q.get('code_challenge_method') !== 'S256' || q.get('response_type') !== 'code')
      throw new Error('bad authorization request');
    const redirect = q.get('redirect_uri') ?? '';
    if (redirect !== 'urn:ietf:wg:oauth:2.0:oob' && !/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(redirect))
      throw new Error('redirect not allowed for a public client');
    const code = `code-${++this.n}`;
    this.codes.set(code, { challenge: q.get('code_challenge') ?? '', redirectUri: redirect, nonce: q.get('nonce') ?? '' });
    return { code, state: q.get('state') ?? '' };
  }

  /** The user enters the device flow's user code and signs in. */
  approveDevice(userCode: string): void {
    for (const d of this.devices.values()) if (d.userCode === userCode) d.approved = true;
  }

  deviceCode(): Record<string, unknown> {
    const device = `device-${++this.n}`;
    const userCode = `USER-${this.n}`;
    this.devices.set(device, { userCode, approved: false, polls: 0 });
    return { device_code: device, user_code: userCode, verification_uri: `${this.url}/device`, interval: 1, expires_in: 60 };
  }

  async token(form: URLSearchParams): Promise<Record<string, unknown>> {
    if (form.get('client_id') !== 'sigstore') throw new HttpError(401, 'unknown client');
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const c = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!c) throw new HttpError(400, 'invalid_grant');
      if (form.get('redirect_uri') !== c.redirectUri) throw new HttpError(400, 'redirect_uri mismatch');
      if (b64url(await sha256(utf8Encode(form.get('code_verifier') ?? ''))) !== c.challenge) throw new HttpError(400, 'PKCE verification failed');
      return { access_token: 'opaque', token_type: 'bearer', id_token: await this.mint({ nonce: c.nonce }) };
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
      const d = this.devices.get(form.get('device_code') ?? '');
      if (!d) throw new HttpError(400, 'invalid_grant');
      d.polls++;
      if (!d.approved) return { error: 'authorization_pending' };
      this.devices.delete(form.get('device_code') ?? '');
      return { access_token: 'opaque', token_type: 'bearer', id_token: await this.mint() };
    }
    throw new HttpError(400, 'unsupported_grant_type');
  }

  /** A signed ID token; `claims` override the defaults (e.g. an expired `exp`, another `aud`). */
  async mint(claims: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', kid: 'test' };
    const body = {
      iss: this.url,
      aud: 'sigstore',
      sub: 'signer@example.com',
      email: 'signer@example.com',
      email_verified: true,
      iat: now,
      exp: now + 600,
      ...claims,
    };
    const input = `${b64url(utf8Encode(JSON.stringify(header)))}.${b64url(utf8Encode(JSON.stringify(body)))}`;
    // JWS ES256 signatures are raw r||s (P1363), which is what WebCrypto produces.
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, ab(utf8Encode(input))));
    return `${input}.${b64url(sig)}`;
  }
}
