/**
 * `GET /api/v1/models/<model>` — the model's state at the edge: core's verifyModel over the model's R2
 * objects (signature + policy + every file, digests reused from KV), i.e. the same verdict the CLI gives.
 */
import { verifyModel } from '../../core/verify/index.js';
import type { Env } from '../env.js';
import { CachedBackend } from '../hashing.js';
import { HttpError, json } from '../http.js';
import { modelPrefix, r2Layout, SIGNATURE_PATH } from '../names.js';
import { corePolicy } from '../policy.js';
import { R2Source } from '../../workerd/r2-source.js';
import { getPolicy, getSignature, trustedRoot } from '../store.js';

export async function modelState(env: Env, model: string): Promise<Response> {
  const [bundle, policy] = await Promise.all([getSignature(env, model), getPolicy(env, model)]);
  if (!bundle && !policy) {
    const any = await env.MODELS.list({ prefix: modelPrefix(model), limit: 1 });
    if (any.objects.length === 0) throw new HttpError(404, 'NOT_FOUND', `No model named '${model}'`);
  }
  const base = { model, policy: policy?.policy ?? null, signaturePresent: !!bundle, gate: `${env.BASE_PATH ?? ''}/models/${model}/` };
  if (!bundle)
    return json({
      ...base,
      verified: false,
      errors: [{ code: 'NO_SIGNATURE', message: `Model '${model}' has no signature (${SIGNATURE_PATH})` }],
      resources: [],
    });
  if (!policy) return json({ ...base, verified: false, errors: [{ code: 'NO_POLICY', message: `Model '${model}' has no policy` }], resources: [] });
  const root = await trustedRoot(env);
  const report = await verifyModel(new R2Source(env.MODELS, model, r2Layout(model)), bundle, corePolicy(policy.policy), {
    ignorePaths: [SIGNATURE_PATH],
    backend: new CachedBackend(env.VERDICTS),
    ...(root === undefined ? {} : { trustedRoot: root }),
  });
  // The report as core made it (its `model` is the report's object, named like the model), plus the edge members.
  return json({ ...base, ...report });
}

/** `GET /api/v1/models` — models that have a policy. */
export async function listModels(env: Env): Promise<Response> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.VERDICTS.list({ prefix: 'policy/', ...(cursor ? { cursor } : {}) });
    for (const k of page.keys) names.push(k.name.slice('policy/'.length)); // no spread: pages are input-sized
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor && names.length < 10_000);
  return json({ models: names.sort() });
}
