/**
 * model-verify at the edge: the verification API, the download gate and the web app's static assets.
 * It is `createModelGate` (worker/model-gate.ts, the package's `model-verify/worker`) over this Worker's bindings,
 * so operators who mount the gate in their own Worker run exactly this code.
 */
import type { ExecutionContext, ScheduledController } from '@cloudflare/workers-types/latest';
import type { Env } from './env.js';
import { createModelGate } from './model-gate.js';
import { scheduledRefresh } from './trust-cron.js';

export type { Env } from './env.js';
export { createModelGate, type ModelGate, type ModelGateOptions } from './model-gate.js';

export default {
  fetch(req: Request, env: Env): Promise<Response> {
    // Per request: the factory is a closure over the bindings (no I/O), and env is only known here.
    return createModelGate({
      bucket: env.MODELS,
      kv: env.VERDICTS,
      ...(env.ASSETS ? { assets: env.ASSETS } : {}),
      ...(env.ADMIN_TOKEN ? { adminToken: env.ADMIN_TOKEN } : {}),
      ...(env.TRUSTED_ROOT ? { trustedRoot: env.TRUSTED_ROOT } : {}),
      ...(env.SIGNING_PROXY_ALLOW ? { signingProxyAllow: env.SIGNING_PROXY_ALLOW } : {}),
      ...(env.BASE_PATH ? { basePath: env.BASE_PATH } : {}),
      ...(env.HF_ENDPOINT ? { hubEndpoint: env.HF_ENDPOINT } : {}),
      ...(env.HF_TOKEN ? { hubToken: env.HF_TOKEN } : {}),
    }).fetch(req);
  },
  /** The Cron Trigger (wrangler.toml [triggers]): refreshes the Sigstore trust root through TUF into KV. */
  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const run = scheduledRefresh(env);
    ctx.waitUntil(run.catch(() => {}));
    return run;
  },
};
