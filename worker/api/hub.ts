/**
 * `POST /api/v1/hub/verify` — `{model: "org/model[@revision]", policy, signature?, ignorePaths?, ignoreUnsigned?}` →
 * core's verification report for a Hugging Face Hub repository, verified at the edge: the revision pinned to its
 * commit, the repository listed (unsigned extras are seen), the Hub's LFS sha256 compared with the signature before
 * any download (a mismatch stops there), then every signed file streamed from the Hub/CDN and hashed. The Hub is the
 * operator's (HF_ENDPOINT, default huggingface.co) with the operator's token (HF_TOKEN, a secret) if any: callers
 * name repositories, never hosts, so the Worker fetches only from the Hub and the CDN it redirects to.
 */
import { hubPrecheck, HfSource, parseHfSpec } from '../../core/sources/index.js';
import { failedReport, verifyModel, verifySignature } from '../../core/verify/index.js';
import { ModelVerifyError, toModelVerifyError } from '../../core/index.js';
import type { Env } from '../env.js';
import { ensureHashers } from '../hashing.js';
import { HttpError, isRecord, json, readJson } from '../http.js';
import { corePolicy, parsePolicy } from '../policy.js';
import { trustedRoot } from '../store.js';

const MAX_BODY = 64 * 1024;

export async function hubVerifyApi(req: Request, env: Env): Promise<Response> {
  const body = await readJson(req, MAX_BODY);
  if (!isRecord(body) || typeof body.model !== 'string')
    throw new HttpError(400, 'BAD_REQUEST', 'Expected a JSON object {model: "org/model[@revision]", policy}');
  const spec = parseHfSpec(body.model, { bare: true });
  const policy = corePolicy(parsePolicy(body.policy));
  const sigPath = typeof body.signature === 'string' && body.signature ? body.signature : 'model.sig';
  const ignorePaths = Array.isArray(body.ignorePaths) ? body.ignorePaths.filter((p): p is string => typeof p === 'string').slice(0, 1000) : [];
  ensureHashers();
  let source: HfSource | undefined;
  try {
    source = await HfSource.open(spec, { ...(env.HF_ENDPOINT ? { endpoint: env.HF_ENDPOINT } : {}), ...(env.HF_TOKEN ? { token: env.HF_TOKEN } : {}) });
    if (!source.treeFile(sigPath)) throw new ModelVerifyError('INPUT_MISSING', `${source.pinned} has no '${sigPath}'`);
    const bundle = await source.readFile(sigPath, 'signature');
    const root = await trustedRoot(env);
    const opts = root === undefined ? {} : { trustedRoot: root };
    const pinned = { source: source.pinned, revision: { requested: source.revision, commit: source.commit } };
    let claim;
    try {
      claim = hubPrecheck(source, (await verifySignature(bundle, policy, opts)).manifest);
    } catch {
      /* the signature does not verify: verifyModel says why */
    }
    if (claim?.status === 'mismatch') {
      const r = failedReport(new ModelVerifyError('HASH_MISMATCH', claim.summary, claim.differ[0] ? { resource: claim.differ[0].name } : undefined), {
        name: source.name,
        listable: true,
        ...pinned,
        remoteClaim: claim,
      });
      return json(r);
    }
    const report = await verifyModel(source, bundle, policy, { ignorePaths: [...ignorePaths, sigPath], ignoreUnsigned: body.ignoreUnsigned === true, ...opts });
    Object.assign(report.model, pinned, claim ? { remoteClaim: claim } : {});
    return json(report);
  } catch (e) {
    // Access problems (401/403/429), a missing repository: a report that names them, never a verdict of "modified".
    const err = toModelVerifyError(e);
    if (err.code === 'INTERNAL') throw e;
    return json(failedReport(err, { name: source?.name ?? spec.repo.split('/').at(-1)!, listable: true }));
  }
}
