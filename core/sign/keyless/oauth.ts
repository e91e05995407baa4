/**
 * Getting an OIDC identity token interactively: discovery, PKCE (S256) authorization-code flow (loopback redirect
 * for CLIs, out-of-band code paste for browsers) and the device flow. Public client `sigstore` with an empty
 * secret, sent in the form body — an Authorization header would fail a browser's CORS preflight.
 */
import { fail } from '../../errors.js';
import { sha256, toBase64, utf8Encode } from '../../util/bytes.js';
import { isObject } from '../../util/json.js';
import type { Fetch } from './http.js';

export const OOB_REDIRECT = 'urn:ietf:wg:oauth:2.0:oob';

export interface OidcEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  device?: string;
}

const b64url = (b: Uint8Array) => toBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

async function getJson(f: Fetch, url: string, init: RequestInit, what: string): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await f(url, init);
  } catch (e) {
    fail('SIGN_FAILED', `${what}: cannot reach ${url}: ${(e as Error).message}`, { cause: e });
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    fail('SIGN_FAILED', `${what} (HTTP ${res.status}) did not answer with JSON`);
  }
  if (!isObject(body)) fail('SIGN_FAILED', `${what} answered with something other than a JSON object`);
  return { status: res.status, body };
}

/** OpenID discovery (`/.well-known/openid-configuration`). */
export async function discover(f: Fetch, issuer: string): Promise<OidcEndpoints> {
  const base = issuer.replace(/\/+$/, '');
  const { status, body } = await getJson(f, `${base}/.well-known/openid-configuration`, { method: 'GET' }, 'OIDC discovery');
  if (status !== 200 || typeof body.authorization_endpoint !== 'string' || typeof body.token_endpoint !== 'string') {
    fail('SIGN_FAILED', `OIDC discovery for ${issuer} returned no authorization and token endpoints`);
  }
  return {
    issuer: base,
    authorization: body.authorization_endpoint,
    token: body.token_endpoint,
    ...(typeof body.device_authorization_endpoint === 'string' ? { device: body.device_authorization_endpoint } : {}),
  };
}

export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/** The URL to open in a browser, with fresh PKCE verifier, state and nonce (keep them for the exchange). */
export async function authorizationRequest(ep: OidcEndpoints, redirectUri = OOB_REDIRECT, clientId = 'sigstore'): Promise<AuthorizationRequest> {
  const verifier = random(32);
  const state = random(16);
  const nonce = random(16);
  const challenge = b64url(await sha256(utf8Encode(verifier)));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: `${ep.authorization}?${q}`, state, nonce, verifier, redirectUri };
}

function idToken(body: Record<string, unknown>, what: string): string {
  if (typeof body.id_token !== 'string') fail('SIGN_FAILED', `${what}: the token endpoint returned no id_token`);
  return body.id_token;
}

const form = (p: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(p).toString(),
});

/** Exchanges the code the user brought back (redirect or pasted) for an ID token. `state` is checked when given. */
export async function exchangeCode(
  f: Fetch,
  ep: OidcEndpoints,
  req: AuthorizationRequest,
  code: string,
  returnedState?: string,
  clientId = 'sigstore',
): Promise<string> {
  if (returnedState !== undefined && returnedState !== req.state) fail('SIGN_FAILED', 'OIDC sign-in: the state does not match this request (possible CSRF)');
  const { status, body } = await getJson(
    f,
    ep.token,
    form({
      grant_type: 'authorization_code',
      code: code.trim(),
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
      client_id: clientId,
      client_secret: '',
    }),
    'OIDC token exchange',
  );
  if (status !== 200) fail('SIGN_FAILED', `OIDC token exchange failed: ${String(body.error_description ?? body.error ?? status)}`);
  return idToken(body, 'OIDC token exchange');
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  interval: number;
  expiresIn: number;
}

export async function startDeviceFlow(f: Fetch, ep: OidcEndpoints, clientId = 'sigstore'): Promise<DeviceAuthorization> {
  if (!ep.device) fail('UNSUPPORTED', `The OIDC issuer ${ep.issuer} offers no device flow`);
  const { status, body } = await getJson(f, ep.device, form({ client_id: clientId, scope: 'openid email' }), 'OIDC device authorization');
  if (status !== 200 || typeof body.device_code !== 'string' || typeof body.user_code !== 'string' || typeof body.verification_uri !== 'string') {
    fail('SIGN_FAILED', `OIDC device authorization failed: ${String(body.error ?? status)}`);
  }
  return {
    deviceCode: body.device_code,
    userCode: body.user_code,
    verificationUri: body.verification_uri,
    ...(typeof body.verification_uri_complete === 'string' ? { verificationUriComplete: body.verification_uri_complete } : {}),
    interval: typeof body.interval === 'number' && body.interval > 0 ? body.interval : 5,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 300,
  };
}

/** Polls until the user approves (RFC 8628: authorization_pending, slow_down), denies, or the code expires. */
export async function pollDeviceToken(
  f: Fetch,
  ep: OidcEndpoints,
  d: DeviceAuthorization,
  o: { clientId?: string; signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
): Promise<string> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let interval = d.interval;
  const deadline = Date.now() + d.expiresIn * 1000;
  while (Date.now() < deadline) {
    o.signal?.throwIfAborted();
    const { status, body } = await getJson(
      f,
      ep.token,
      form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.deviceCode, client_id: o.clientId ?? 'sigstore', client_secret: '' }),
      'OIDC device token',
    );
    if (status === 200) return idToken(body, 'OIDC device token');
    if (body.error === 'slow_down') interval += 5;
    else if (body.error !== 'authorization_pending') fail('SIGN_FAILED', `OIDC sign-in failed: ${String(body.error_description ?? body.error ?? status)}`);
    await sleep(interval * 1000);
  }
  fail('SIGN_FAILED', 'OIDC sign-in: the device code expired before it was approved');
}
