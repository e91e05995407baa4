/**
 * `POST /api/v1/verify` — `{bundle, policy}` → the signature verdict and the signed manifest (no model bytes).
 * A well-formed request that fails verification is a 200 with `verified: false`; a malformed one is a 400.
 */
import { MAX_BUNDLE_BYTES } from '../../core/bundle/index.js';
import { utf8Encode } from '../../core/util/index.js';
import type { Env } from '../env.js';
import { HttpError, isRecord, json, readJson } from '../http.js';
import { parsePolicy } from '../policy.js';
import { checkSignature } from '../store.js';

/** Bundle plus policy: bounded well below Workers' 100 MB request limit, above any realistic signature. */
export const MAX_VERIFY_BODY = 16 * 1024 * 1024;

export async function verifyApi(req: Request, env: Env): Promise<Response> {
  const body = await readJson(req, MAX_VERIFY_BODY);
  if (!isRecord(body)) throw new HttpError(400, 'BAD_REQUEST', 'Expected a JSON object {bundle, policy}');
  const b = body.bundle;
  // The bundle may be sent as the JSON document itself or as its text.
  const bundle = typeof b === 'string' ? utf8Encode(b) : isRecord(b) ? utf8Encode(JSON.stringify(b)) : null;
  if (!bundle) throw new HttpError(400, 'BAD_REQUEST', 'bundle must be the signature (a JSON object or its text)');
  if (bundle.byteLength > MAX_BUNDLE_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', 'The bundle is too large');
  const policy = parsePolicy(body.policy);
  const v = await checkSignature(env, bundle, policy);
  if (!v.verified) return json({ verified: false, resources: [], errors: v.errors });
  const m = v.manifest!;
  return json({
    verified: true,
    signer: v.signer,
    modelName: m.modelName,
    serialization: m.serialization,
    rootDigest: m.rootDigest,
    resources: m.resources.map((r) => ({ name: r.id, algorithm: r.algorithm, digest: r.digest })),
    ...(v.warnings?.length ? { warnings: v.warnings } : {}),
  });
}
