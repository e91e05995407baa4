/**
 * Publishing (admin): `PUT|DELETE /api/v1/models/<model>/files/<path>` (objects, and the signature as
 * `model.sig`) and `PUT|DELETE /api/v1/models/<model>/policy`. Objects are hashed on publish with the
 * serialization of the model's current signature (sha256 per file when there is none yet).
 */
import { parseBundle, MAX_BUNDLE_BYTES } from '../../core/bundle/index.js';
import { statementToManifest } from '../../core/bundle/index.js';
import { isModelVerifyError, toModelVerifyError } from '../../core/index.js';
import type { Serialization } from '../../core/manifest/index.js';
import { IgnoreSet } from '../../core/serialize/index.js';
import { planModel } from '../../core/serialize/index.js';
import { toHex } from '../../core/util/index.js';
import { dsseEnvelope } from '../../core/verify/index.js';
import type { Env } from '../env.js';
import { CachedBackend, digestRecordKey } from '../hashing.js';
import { HttpError, json, readBody, readJson } from '../http.js';
import { deleteLarge } from '../kv-large.js';
import { objectKey, r2Layout, SIGNATURE_PATH } from '../names.js';
import { parsePolicy } from '../policy.js';
import { R2Source } from '../../workerd/r2-source.js';
import { getPolicy, getSignature, policyKey, putPolicy, signatureVerdict } from '../store.js';

/** Workers accept request bodies up to 100 MB (Free/Pro); bigger objects go to R2 directly (docs/deploy.md). */
export const MAX_OBJECT_BYTES = 100 * 1024 * 1024;
const MAX_POLICY_BODY = 512 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  onnx: 'application/octet-stream',
};

function contentType(req: Request, path: string): string {
  const given = req.headers.get('content-type');
  if (given && given.length < 200 && /^[\x20-\x7e]+$/.test(given)) return given;
  return CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

export async function putFile(req: Request, env: Env, model: string, path: string): Promise<Response> {
  if (path === SIGNATURE_PATH) return putSignature(req, env, model);
  const len = req.headers.get('content-length');
  if (len === null) throw new HttpError(411, 'LENGTH_REQUIRED', 'Send Content-Length with the object');
  if (!/^\d{1,16}$/.test(len) || Number(len) > MAX_OBJECT_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Objects over ${MAX_OBJECT_BYTES} bytes must be uploaded to R2 directly (see docs/deploy.md)`);
  }
  // DOM and workers-types each declare ReadableStream; at runtime they are the same class.
  const body = (req.body ?? new Uint8Array(0)) as unknown as Parameters<Env['MODELS']['put']>[1];
  const o = await env.MODELS.put(objectKey(model, path), body, { httpMetadata: { contentType: contentType(req, path) } });
  if (!o) throw new HttpError(409, 'PRECONDITION_FAILED', 'The object was not stored');
  const digests = await hashOnPublish(env, model, path);
  return json({ model, path, size: o.size, etag: o.etag, version: o.version, ...digests }, 201);
}

/** Records the new object's digests against its etag/version, so the first download does not pay for hashing. */
async function hashOnPublish(env: Env, model: string, path: string): Promise<{ algorithm?: string; digests?: Record<string, string> }> {
  const serialization = (await currentSerialization(env, model)) ?? { method: 'files', hashType: 'sha256' };
  const source = new R2Source(env.MODELS, model, { listable: false, ...r2Layout(model) });
  try {
    const plan = await planModel(source, { serialization, ignore: new IgnoreSet(), allowSymlinks: false, onlyPaths: new Set([path]) });
    const d = await new CachedBackend(env.VERDICTS).run(plan.jobs, source);
    return { algorithm: plan.algorithm, digests: Object.fromEntries(plan.jobs.map((j) => [j.id, toHex(d.get(j.id)!)])) };
  } catch (e) {
    // A concurrent overwrite: the object is stored; whoever requests it first hashes it.
    if (isModelVerifyError(e)) return {};
    throw e;
  }
}

/** The serialization the model's signature uses (read without verifying: it only chooses what to hash). */
async function currentSerialization(env: Env, model: string): Promise<Pick<Serialization, 'method' | 'hashType' | 'shardSize'> | null> {
  const bundle = await getSignature(env, model);
  if (!bundle) return null;
  try {
    return (await statementToManifest(dsseEnvelope(parseBundle(bundle)).payload)).serialization;
  } catch {
    return null;
  }
}

async function putSignature(req: Request, env: Env, model: string): Promise<Response> {
  const bytes = await readBody(req, MAX_BUNDLE_BYTES);
  try {
    // Refuse what can never verify; whether it verifies is the verdict's business, not the upload's.
    parseBundle(bytes);
  } catch (e) {
    const err = toModelVerifyError(e);
    throw new HttpError(400, err.code, `Not a signature bundle: ${err.message}`);
  }
  const o = await env.MODELS.put(objectKey(model, SIGNATURE_PATH), bytes, { httpMetadata: { contentType: 'application/json' } });
  const policy = await getPolicy(env, model);
  const verdict = policy ? await signatureVerdict(env, bytes, policy) : null;
  return json(
    {
      model,
      path: SIGNATURE_PATH,
      size: o?.size ?? bytes.byteLength,
      etag: o?.etag,
      signature: verdict
        ? { verified: verdict.verified, signer: verdict.signer, errors: verdict.errors }
        : { verified: false, errors: [{ code: 'NO_POLICY', message: 'No policy is set for this model yet' }] },
    },
    201,
  );
}

export async function deleteFile(env: Env, model: string, path: string): Promise<Response> {
  await env.MODELS.delete(objectKey(model, path));
  if (path !== SIGNATURE_PATH) await deleteLarge(env.VERDICTS, await digestRecordKey(model, path));
  return json({ model, path, deleted: true });
}

export async function putPolicyApi(req: Request, env: Env, model: string): Promise<Response> {
  const policy = parsePolicy(await readJson(req, MAX_POLICY_BODY));
  const stored = await putPolicy(env, model, policy);
  return json({ model, policy: stored.policy, digest: stored.digest });
}

export async function getPolicyApi(env: Env, model: string): Promise<Response> {
  const stored = await getPolicy(env, model);
  if (!stored) throw new HttpError(404, 'NO_POLICY', `Model '${model}' has no policy`);
  return json({ model, policy: stored.policy, digest: stored.digest });
}

export async function deletePolicy(env: Env, model: string): Promise<Response> {
  await env.VERDICTS.delete(policyKey(model));
  return json({ model, policy: null, deleted: true });
}
