/**
 * OIDC identity tokens, read (not verified: Fulcio verifies them) for what the client needs: the subject to
 * prove possession of the key over, and a clear error for expired or malformed tokens before any request.
 */
import { fail } from '../../errors.js';
import { fromBase64, utf8Decode } from '../../util/bytes.js';
import { isObject, parseJson } from '../../util/json.js';

export interface TokenClaims {
  iss: string;
  sub: string;
  email?: string;
  exp?: number;
}

export function readToken(token: string, now = new Date()): TokenClaims {
  const parts = token.trim().split('.');
  if (parts.length !== 3) fail('POLICY_INVALID', 'The identity token is not a JWT (expected three dot-separated parts)');
  const claims = parseJson(
    utf8Decode(fromBase64(parts[1], 'identity token payload', 'POLICY_INVALID'), 'identity token payload', 'POLICY_INVALID'),
    'identity token payload',
    'POLICY_INVALID',
  );
  if (!isObject(claims) || typeof claims.iss !== 'string' || typeof claims.sub !== 'string') fail('POLICY_INVALID', 'The identity token has no iss/sub claims');
  if (typeof claims.exp === 'number' && claims.exp * 1000 < now.getTime())
    fail('POLICY_INVALID', `The identity token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  return {
    iss: claims.iss,
    sub: claims.sub,
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
    ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
  };
}

/** What Fulcio expects the proof of possession to sign: the email claim when present, else the subject. */
export function popSubject(c: TokenClaims): string {
  return c.email ?? c.sub;
}
