/** Publishing needs `Authorization: Bearer <ADMIN_TOKEN>`; compared in constant time over digests. */
import { sha256, utf8Encode } from '../core/util/index.js';
import type { Env } from './env.js';
import { HttpError } from './http.js';

export async function requireAdmin(req: Request, env: Env): Promise<void> {
  if (!env.ADMIN_TOKEN) throw new HttpError(403, 'ADMIN_DISABLED', 'Publishing is disabled: the ADMIN_TOKEN secret is not set');
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.get('authorization') ?? '');
  const challenge = { 'www-authenticate': 'Bearer realm="model-verify"' };
  if (!m) throw new HttpError(401, 'UNAUTHORIZED', 'Send Authorization: Bearer <ADMIN_TOKEN>', challenge);
  // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
  const [a, b] = await Promise.all([sha256(utf8Encode(m[1]!)), sha256(utf8Encode(env.ADMIN_TOKEN))]);
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  if (d !== 0) throw new HttpError(401, 'UNAUTHORIZED', 'The bearer token is not valid', challenge);
}
