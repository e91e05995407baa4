/**
 * model-verify at the edge: the verification API, the download gate and the web app's static assets.
 * Handlers take a web-standard Request and return a Response; every error leaves as `{error: {code, message}}`.
 */
import { toModelVerifyError } from '../core/index.js';
import { deleteFile, deletePolicy, getPolicyApi, putFile, putPolicyApi } from './api/publish.js';
import { listModels, modelState } from './api/state.js';
import { verifyApi } from './api/verify.js';
import { requireAdmin } from './auth.js';
import type { Env } from './env.js';
import { gate } from './gate.js';
import { CORS, errorResponse, HttpError } from './http.js';
import { modelName, objectPath } from './names.js';
import { proxyError, proxyInfo, relay } from './proxy/relay.js';
import { STATUS_PAGE } from './status-page.js';

export type { Env } from './env.js';

function methods(req: Request, allowed: string[]): void {
  if (!allowed.includes(req.method)) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') });
  }
}

async function route(req: Request, env: Env): Promise<Response> {
  const url = new URL(req.url);
  const p = url.pathname;
  // The signing proxy is for this origin's app only: no CORS, not even a preflight answer.
  if (p === '/api/v1/proxy') return relay(req, env);
  if (p === '/api/v1/proxy/info') return req.method === 'GET' ? proxyInfo(env) : proxyError(405, 'METHOD_NOT_ALLOWED', 'GET only');
  if (req.method === 'OPTIONS' && (p.startsWith('/api/') || p.startsWith('/models/'))) {
    return new Response(null, {
      status: 204,
      headers: { ...CORS, 'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE', 'access-control-allow-headers': 'authorization, content-type, range', 'access-control-max-age': '86400' },
    });
  }

  if (p === '/api/v1/verify') {
    methods(req, ['POST']);
    return verifyApi(req, env);
  }
  if (p === '/api/v1/models' || p === '/api/v1/models/') {
    methods(req, ['GET']);
    return listModels(env);
  }
  let m = /^\/api\/v1\/models\/([^/]+)(?:\/(policy|files)(?:\/(.*))?)?$/.exec(p);
  if (m) {
    const name = modelName(m[1]!);
    if (!m[2]) {
      methods(req, ['GET']);
      return modelState(env, name);
    }
    if (m[2] === 'policy' && m[3] === undefined) {
      methods(req, ['GET', 'PUT', 'DELETE']);
      if (req.method === 'GET') return getPolicyApi(env, name);
      await requireAdmin(req, env);
      return req.method === 'PUT' ? putPolicyApi(req, env, name) : deletePolicy(env, name);
    }
    if (m[2] === 'files' && m[3]) {
      methods(req, ['PUT', 'DELETE']);
      await requireAdmin(req, env);
      const path = objectPath(m[3]);
      return req.method === 'PUT' ? putFile(req, env, name, path) : deleteFile(env, name, path);
    }
    throw new HttpError(404, 'NOT_FOUND', `No API route ${p}`);
  }
  if (p.startsWith('/api/')) throw new HttpError(404, 'NOT_FOUND', `No API route ${p}`);

  m = /^\/models\/([^/]+)\/(.+)$/.exec(p);
  if (m) {
    methods(req, ['GET', 'HEAD']);
    return gate(req, env, modelName(m[1]!), objectPath(m[2]!));
  }
  if (p.startsWith('/models/')) throw new HttpError(404, 'NOT_FOUND', 'Downloads are /models/<model>/<path>');

  // Everything else is the web app; without a build, `/` is the status page.
  if (env.ASSETS) {
    const res = (await env.ASSETS.fetch(req as never)) as unknown as Response;
    if (res.status !== 404 || p !== '/') return res;
  }
  if (p === '/' || p === '/index.html') {
    methods(req, ['GET', 'HEAD']);
    return new Response(req.method === 'HEAD' ? null : STATUS_PAGE, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
  }
  throw new HttpError(404, 'NOT_FOUND', `Nothing at ${p}`);
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    try {
      return await route(req, env);
    } catch (e) {
      if (e instanceof HttpError) return errorResponse(e.status, e.code, e.message, e.headers);
      const err = toModelVerifyError(e);
      // Typed core errors are about the input; anything else is our bug and must stay visible as a 500.
      if (err.code !== 'INTERNAL') return errorResponse(400, err.code, err.message);
      console.error('internal error', e);
      return errorResponse(500, 'INTERNAL', 'Internal error');
    }
  },
};
