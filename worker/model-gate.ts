/**
 * Entry `model-verify/worker`: the verification API and the download gate as a factory, so an operator mounts
 * them in their own Worker under any route (`basePath`). Our own Worker (worker/index.ts) is this factory over its
 * bindings: one code path. Handlers take a web-standard Request and return a Response; every error leaves as
 * `{error: {code, message}}`.
 */
import type { Fetcher, KVNamespace, R2Bucket } from '@cloudflare/workers-types/latest';
import { ModelVerifyError, toModelVerifyError } from '../core/index.js';
import { deleteFile, deletePolicy, getPolicyApi, putFile, putPolicyApi } from './api/publish.js';
import { listModels, modelState } from './api/state.js';
import { verifyApi } from './api/verify.js';
import { hubVerifyApi } from './api/hub.js';
import { requireAdmin } from './auth.js';
import type { Env } from './env.js';
import { gate } from './gate.js';
import { CORS, errorResponse, HttpError } from './http.js';
import { modelName, objectPath } from './names.js';
import { loggedGate, loggedVerify } from './ops-log.js';
import { proxyError, proxyInfo, relay } from './proxy/relay.js';
import { statusPage } from './status-page.js';

export interface ModelGateOptions {
  /** R2 bucket holding the models' objects (`m/<model>/<path>`, the signature at `m/<model>/model.sig`). */
  bucket: R2Bucket;
  /** KV namespace for policies, signature verdicts and object digests. */
  kv: KVNamespace;
  /** Static assets (e.g. the web app) served for paths that are not API or gate routes. */
  assets?: Fetcher;
  /** Bearer token for publishing (PUT/DELETE); publishing is refused without one. Keep it in a secret. */
  adminToken?: string;
  /** Sigstore TrustedRoot JSON of a private instance; the embedded public-good root otherwise. */
  trustedRoot?: string;
  /** Extra https origins the signing proxy relays to (comma-separated). The relay sees identity tokens. */
  signingProxyAllow?: string;
  /** Path prefix the routes live under, e.g. `/mv` → `/mv/api/v1/verify`, `/mv/models/<model>/<path>`. Default: none. */
  basePath?: string;
  /** Hugging Face Hub base URL for `/api/v1/hub/verify` (default https://huggingface.co). */
  hubEndpoint?: string;
  /** Hub token for gated repositories (keep it in a secret; every caller of the endpoint uses it). */
  hubToken?: string;
}

export interface ModelGate {
  fetch(request: Request): Promise<Response>;
}

/** `/mv`, `/mv/` and `mv` all mean `/mv`; `` and `/` mean the origin's root. */
function normalizeBase(basePath: string | undefined): string {
  const b = (basePath ?? '').replace(/\/+$/, '');
  if (b === '') return '';
  const withSlash = b.startsWith('/') ? b : `/${b}`;
  // Compared against the raw (percent-encoded) pathname, and written into links and the status page's script:
  // only unreserved characters, which need no escaping anywhere.
  if (!/^(?:\/[A-Za-z0-9._~-]+)+$/.test(withSlash) || /\/\.{1,2}(?:\/|$)/.test(withSlash)) {
    throw new ModelVerifyError('UNSUPPORTED', `basePath '${basePath}' is not supported: use a plain URL path such as '/mv' (letters, digits, . _ ~ -)`);
  }
  return withSlash;
}

function methods(req: Request, allowed: string[]): void {
  if (!allowed.includes(req.method)) {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') });
  }
}

/** `p` is the request's path below the base path. */
async function route(req: Request, env: Env, p: string): Promise<Response> {
  // The signing proxy is for this origin's app only: no CORS, not even a preflight answer.
  if (p === '/api/v1/proxy') return relay(req, env);
  if (p === '/api/v1/proxy/info') return req.method === 'GET' ? proxyInfo(env) : proxyError(405, 'METHOD_NOT_ALLOWED', 'GET only');
  if (req.method === 'OPTIONS' && (p.startsWith('/api/') || p.startsWith('/models/'))) {
    return new Response(null, {
      status: 204,
      headers: {
        ...CORS,
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
        'access-control-allow-headers': 'authorization, content-type, range',
        'access-control-max-age': '86400',
      },
    });
  }

  if (p === '/api/v1/hub/verify') {
    methods(req, ['POST']);
    return hubVerifyApi(req, env); // a Hugging Face Hub repository, verified at the edge (worker/api/hub.ts)
  }
  if (p === '/api/v1/verify') {
    methods(req, ['POST']);
    return loggedVerify(() => verifyApi(req, env)); // one JSON log line per verdict (worker/ops-log.ts)
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
    const model = modelName(m[1]!);
    const path = objectPath(m[2]!);
    return loggedGate(req, model, path, () => gate(req, env, model, path)); // one JSON log line per decision
  }
  if (p.startsWith('/models/')) throw new HttpError(404, 'NOT_FOUND', 'Downloads are /models/<model>/<path>');

  // Everything else is the web app; without a build, `/` is the status page.
  if (env.ASSETS) {
    // The assets know nothing of the mount point: they see the path below it.
    let assetReq = req;
    if (env.BASE_PATH) {
      const u = new URL(req.url);
      u.pathname = p;
      assetReq = new Request(u, req);
    }
    const res = (await env.ASSETS.fetch(assetReq as never)) as unknown as Response;
    if (res.status !== 404 || p !== '/') return res;
  }
  if (p === '/' || p === '/index.html') {
    methods(req, ['GET', 'HEAD']);
    return new Response(req.method === 'HEAD' ? null : statusPage(env.BASE_PATH ?? ''), {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    });
  }
  throw new HttpError(404, 'NOT_FOUND', `Nothing at ${p}`);
}

/**
 * The gate and the verify API over the given bindings. Cheap to call (a closure, no I/O): a Worker may create
 * it per request from `env`. Throws `ModelVerifyError` for a basePath that is not a plain path.
 */
export function createModelGate(options: ModelGateOptions): ModelGate {
  const base = normalizeBase(options.basePath);
  // The handlers read the bindings under the names our wrangler.toml gives them.
  const env: Env = {
    MODELS: options.bucket,
    VERDICTS: options.kv,
    ...(options.assets ? { ASSETS: options.assets } : {}),
    ...(options.adminToken ? { ADMIN_TOKEN: options.adminToken } : {}),
    ...(options.trustedRoot ? { TRUSTED_ROOT: options.trustedRoot } : {}),
    ...(options.signingProxyAllow ? { SIGNING_PROXY_ALLOW: options.signingProxyAllow } : {}),
    ...(base ? { BASE_PATH: base } : {}),
    ...(options.hubEndpoint ? { HF_ENDPOINT: options.hubEndpoint } : {}),
    ...(options.hubToken ? { HF_TOKEN: options.hubToken } : {}),
  };
  return {
    async fetch(req: Request): Promise<Response> {
      try {
        const path = new URL(req.url).pathname;
        let p = path;
        if (base) {
          if (path !== base && !path.startsWith(`${base}/`)) throw new HttpError(404, 'NOT_FOUND', `Nothing at ${path} (this gate is mounted at ${base}/)`);
          p = path.slice(base.length) || '/';
        }
        return await route(req, env, p);
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
}
