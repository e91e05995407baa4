/**
 * One structured log line per verification verdict (POST /api/v1/verify) and per gate decision (GET|HEAD
 * /models/…): a JSON object through console.log, which Workers Logs and Logpush index by field. The fields match
 * the CLI's JSON logs (msg, model, verified, code, duration_ms). Only our own values and the request's model and
 * path go in, JSON-encoded; never a bundle, a token or a policy.
 */
import { toModelVerifyError } from '../core/index.js';
import { HttpError } from './http.js';

type Fields = Record<string, string | number | boolean | undefined>;

function line(msg: string, fields: Fields): void {
  const out: Record<string, unknown> = { time: new Date().toISOString(), level: 'info', msg };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  console.log(JSON.stringify(out));
}

/** The code and status a thrown error leaves as (model-gate.ts's fetch: HttpError as is, typed errors 400, the rest 500). */
function thrown(e: unknown): { code: string; status: number } {
  if (e instanceof HttpError) return { code: e.code, status: e.status };
  const code = toModelVerifyError(e).code;
  return { code, status: code === 'INTERNAL' ? 500 : 400 };
}

/** Runs the verify API and logs its verdict (read back from the JSON it answers: what the client was told). */
export async function loggedVerify(run: () => Promise<Response>): Promise<Response> {
  const t0 = Date.now();
  let res: Response;
  try {
    res = await run();
  } catch (e) {
    line('verify verdict', { verified: false, ...thrown(e), duration_ms: Date.now() - t0 });
    throw e;
  }
  let body: { verified?: unknown; modelName?: unknown; errors?: { code?: unknown }[]; signer?: { method?: unknown } } = {};
  if (res.status === 200) body = await res.clone().json();
  line('verify verdict', {
    model: typeof body.modelName === 'string' ? body.modelName : undefined,
    verified: body.verified === true,
    code: res.status === 200 ? (body.errors?.[0]?.code as string | undefined) : (res.headers.get('x-error-code') ?? undefined),
    method: typeof body.signer?.method === 'string' ? body.signer.method : undefined,
    status: res.status,
    duration_ms: Date.now() - t0,
  });
  return res;
}

/** Runs the gate for one download and logs whether it served the bytes or refused them, and why. */
export async function loggedGate(req: Request, model: string, path: string, run: () => Promise<Response>): Promise<Response> {
  const t0 = Date.now();
  const base = { model, path, request: req.method };
  let res: Response;
  try {
    res = await run();
  } catch (e) {
    line('gate decision', { ...base, verdict: 'refused', ...thrown(e), duration_ms: Date.now() - t0 });
    throw e;
  }
  const served = res.status === 200 || res.status === 206;
  line('gate decision', {
    ...base,
    verdict: served ? 'served' : 'refused',
    code: served ? undefined : (res.headers.get('x-error-code') ?? undefined),
    status: res.status,
    duration_ms: Date.now() - t0,
  });
  return res;
}
