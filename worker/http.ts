/** JSON responses and errors: every failure leaves the Worker as `{error: {code, message}}` with a 4xx status. */
import type { ErrorCode } from '../core/index.js';
import { readAtMost } from '../core/util/index.js';

/** Core's stable codes plus the HTTP layer's own. */
export type ApiErrorCode =
  | ErrorCode
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAUTHORIZED'
  | 'ADMIN_DISABLED'
  | 'PAYLOAD_TOO_LARGE'
  | 'LENGTH_REQUIRED'
  | 'RANGE_NOT_SATISFIABLE'
  | 'NO_SIGNATURE'
  | 'NO_POLICY'
  | 'PRECONDITION_FAILED'
  | 'PROXY_FORBIDDEN'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_REDIRECT'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_FAILED';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Anyone may read verdicts and gated downloads from any origin; bearer tokens are not ambient credentials. */
export const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-length, content-range, etag, x-model-verify, x-model-signer, x-error-code',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...CORS, ...headers },
  });
}

export function errorResponse(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  // The code is repeated in a header for HEAD requests, which carry no body.
  return json({ error: { code, message } }, status, { 'x-error-code': code, ...headers });
}

/** Reads a request body up to `limit` bytes; larger bodies are refused before and while reading. */
export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${limit} bytes`);
  }
  return readAtMost(req.body, limit, {
    tooLarge: () => {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${limit} bytes`);
    },
  });
}

export async function readJson(req: Request, limit: number): Promise<unknown> {
  const bytes = await readBody(req, limit);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body is not valid JSON');
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
