/**
 * KV layout:
 *   policy/<model>                       → StoredPolicy
 *   verdict/<bundle>/<policy>/<root>     → Verdict (SHA-256 hex digests; expires so expiry and rotation are re-checked)
 *   hash/<sha256(model, path)>           → ObjectDigests (worker/hashing.ts)
 *   trust/current, trust/tuf/…           → the TUF-refreshed Sigstore trust root and its TUF cache (worker/trust-cron.ts)
 *   <key>#<sha256>/<i>                   → chunks of a verdict or digest record over 20 MiB (worker/kv-large.ts)
 * Verdicts are keyed by content digests, so KV's eventual consistency can serve a stale entry only for
 * identical inputs, never the verdict of an older signature or policy.
 */
import { fail, toModelVerifyError } from '../core/index.js';
import { EMBEDDED_ROOT_DATE, type TrustRoot } from '../core/sigstore/index.js';
import { trustRootFromTuf } from '../core/sigstore/tuf/index.js';
import type { Resource, Serialization } from '../core/manifest/index.js';
import type { ReportError, SignerSummary } from '../core/verify/index.js';
import { verifySignature } from '../core/verify/index.js';
import { sha256, toHex, utf8Encode } from '../core/util/index.js';
import type { Env } from './env.js';
import { getLargeJson, putLarge } from './kv-large.js';
import { objectKey, SIGNATURE_PATH } from './names.js';
import { r2call } from '../workerd/r2-source.js';
import { corePolicy, policyDigest, type ApiPolicy } from './policy.js';
import { storedTrustRoot } from './trust-cron.js';

export const VERDICT_TTL_SECONDS = 24 * 60 * 60;

export interface StoredPolicy {
  policy: ApiPolicy;
  digest: string;
}

export interface Verdict {
  verified: boolean;
  signer?: SignerSummary;
  warnings?: string[];
  errors?: ReportError[];
  manifest?: { modelName: string; serialization: Serialization; resources: Resource[]; rootDigest: string | null };
  bundleDigest: string;
  policyDigest: string;
  trustRoot: string;
  checkedAt: string;
}

export const policyKey = (model: string) => `policy/${model}`;

export async function getPolicy(env: Env, model: string): Promise<StoredPolicy | null> {
  try {
    return await env.VERDICTS.get<StoredPolicy>(policyKey(model), 'json');
  } catch (e) {
    // Unreadable (KV failure, or a value that is not JSON): typed, so the gate refuses with a reason, not a 500.
    fail('IO_ERROR', `Cannot read the policy of model '${model}': ${(e as Error)?.message ?? e}`, { cause: e });
  }
}

export async function putPolicy(env: Env, model: string, policy: ApiPolicy): Promise<StoredPolicy> {
  const stored = { policy, digest: await policyDigest(policy) };
  await env.VERDICTS.put(policyKey(model), JSON.stringify(stored));
  return stored;
}

export async function getSignature(env: Env, model: string): Promise<Uint8Array | null> {
  return r2call('read', SIGNATURE_PATH, async () => {
    const o = await env.MODELS.get(objectKey(model, SIGNATURE_PATH));
    return o ? new Uint8Array(await o.arrayBuffer()) : null;
  });
}

export async function trustRootId(env: Env, policy: ApiPolicy): Promise<string> {
  if (policy.method !== 'sigstore') return 'none';
  if (env.TRUSTED_ROOT) return `custom-${toHex(await sha256(utf8Encode(env.TRUSTED_ROOT)))}`;
  // The cron's TUF-refreshed root (worker/trust-cron.ts): a rotation gets new verdict keys.
  const tuf = await storedTrustRoot(env);
  // A deploy that embeds a newer production root gets new verdict keys.
  return tuf ? `tuf-${tuf.digest}` : `embedded-${EMBEDDED_ROOT_DATE}`;
}

let parsedTuf: { digest: string; root: TrustRoot } | undefined;

/** TRUSTED_ROOT (the operator's), else the root the cron refreshed through TUF into KV, else undefined (embedded). */
export async function trustedRoot(env: Env): Promise<unknown> {
  if (env.TRUSTED_ROOT) {
    try {
      return JSON.parse(env.TRUSTED_ROOT);
    } catch {
      return env.TRUSTED_ROOT; // core reports it as TRUST_ROOT_INVALID in every verdict
    }
  }
  const tuf = await storedTrustRoot(env);
  if (!tuf) return undefined;
  if (parsedTuf?.digest !== tuf.digest) parsedTuf = { digest: tuf.digest, root: trustRootFromTuf(tuf) };
  return parsedTuf.root;
}

/** Checks a bundle under a policy with core's verifySignature; never throws for a verification failure. */
export async function checkSignature(
  env: Env,
  bundle: Uint8Array,
  policy: ApiPolicy,
): Promise<Omit<Verdict, 'bundleDigest' | 'policyDigest' | 'trustRoot' | 'checkedAt'>> {
  try {
    const root = await trustedRoot(env);
    const r = await verifySignature(bundle, corePolicy(policy), root === undefined ? {} : { trustedRoot: root });
    const m = r.manifest;
    return {
      verified: true,
      signer: r.signer,
      warnings: r.warnings,
      manifest: { modelName: m.modelName, serialization: m.serialization, resources: m.resources, rootDigest: m.rootDigest },
    };
  } catch (e) {
    return { verified: false, errors: [toModelVerifyError(e).toJSON()] };
  }
}

/** The signature verdict for a model, from KV when this exact (bundle, policy, trust root) was seen before. */
export async function signatureVerdict(env: Env, bundle: Uint8Array, stored: StoredPolicy): Promise<Verdict> {
  const bundleDigest = toHex(await sha256(bundle));
  const root = await trustRootId(env, stored.policy);
  const key = `verdict/${bundleDigest}/${stored.digest}/${root}`;
  // A KV read failure is a cache miss: the verdict is recomputed, never guessed.
  const hit = await getLargeJson<Verdict>(env.VERDICTS, key).catch(() => null);
  if (hit) return hit;
  const v: Verdict = {
    ...(await checkSignature(env, bundle, stored.policy)),
    bundleDigest,
    policyDigest: stored.digest,
    trustRoot: root,
    checkedAt: new Date().toISOString(),
  };
  // An ABORTED/INTERNAL outcome says nothing about the signature: never cache it.
  const transient = !v.verified && (v.errors?.[0]?.code === 'ABORTED' || v.errors?.[0]?.code === 'INTERNAL');
  if (!transient) {
    // Large manifests (a file in 100k+ shards) make verdicts bigger than one KV value: putLarge chunks them, so
    // they are kept like any other instead of being refused by KV and recomputed on every download.
    try {
      const stored = await putLarge(env.VERDICTS, key, JSON.stringify(v), { expirationTtl: VERDICT_TTL_SECONDS });
      if (stored === 'too-large') console.warn(`verdict ${key} is too large to cache; it is recomputed per request`);
    } catch (e) {
      // A rate-limited or failed write only costs a re-check later; say so rather than hide it.
      console.warn(`verdict ${key} was not cached: ${(e as Error)?.message ?? e}`);
    }
  }
  return v;
}
