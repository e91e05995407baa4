/**
 * `hf://org/model[@revision]` (or `org/model`) for the element and the app: the Hub repository pinned to its commit
 * (core HfSource), its signature (the repository's model.sig, a path in it, or a URL), and the report's Hub fields.
 * A token, when the page has one, is the user's own (typed in, or handed to the element's `hfToken` property).
 */
import { ModelVerifyError } from '../core/index.js';
import type { Policy } from '../core/policy/index.js';
import { fetchBytes, HfSource, hubPrecheck, parseHfSpec } from '../core/sources/index.js';
import { verifySignature, type VerificationReport } from '../core/verify/index.js';

/** True for `hf://…`; with `bare`, also for `org/model[@rev]` as typed in the app (not a URL, no dots-first path). */
export function isHfSpec(s: string, bare = false): boolean {
  const t = s.trim();
  if (/^hf:\/\//i.test(t)) return true;
  return bare && /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*(@\S+)?$/.test(t) && !/^[a-z]+:/i.test(t);
}

export interface OpenedHf {
  source: HfSource;
  bundle: Uint8Array;
  /** The signature's path in the repository (ignored when hashing), when it came from there. */
  signatureInRepo?: string;
}

/** Opens the repository and reads its signature: `signature` empty = `model.sig` in the repo; a URL; else a repo path. */
export async function openHfModel(
  spec: string,
  signature: string,
  o: { endpoint?: string; token?: string; signal?: AbortSignal; resolveUrl?: (u: string) => string } = {},
): Promise<OpenedHf> {
  const parsed = parseHfSpec(spec, { bare: true });
  const source = await HfSource.open(parsed, {
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.token ? { token: o.token } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const sig = signature.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(sig) || sig.startsWith('/') || sig.startsWith('.')) {
    const url = o.resolveUrl ? o.resolveUrl(sig) : sig;
    return { source, bundle: await fetchBytes(url, 'signature', o.signal ? { signal: o.signal } : {}) };
  }
  const inRepo = sig || 'model.sig';
  if (!source.treeFile(inRepo)) {
    throw new ModelVerifyError('INPUT_MISSING', `${source.pinned} has no '${inRepo}': set the signature (a path in the repository or a URL)`);
  }
  return { source, bundle: await source.readFile(inRepo, 'signature', undefined, o.signal), signatureInRepo: inRepo };
}

/**
 * The Hub's claim before hashing (its LFS sha256 vs the signed digests), or undefined when the signature does not
 * verify (verifyModel then reports why). A mismatch is for the caller to stop on.
 */
export async function hubClaim(opened: OpenedHf, policy: Policy, trustedRoot?: unknown) {
  try {
    const { manifest } = await verifySignature(opened.bundle, policy, trustedRoot !== undefined ? { trustedRoot } : {});
    return hubPrecheck(opened.source, manifest);
  } catch {
    return undefined;
  }
}

/** The report's Hub fields: pinned location, revision → commit, and the claim. */
export function annotateHf(report: VerificationReport, opened: OpenedHf, claim?: ReturnType<typeof hubPrecheck>): VerificationReport {
  report.model.source = opened.source.pinned;
  report.model.revision = { requested: opened.source.revision, commit: opened.source.commit };
  if (claim) report.model.remoteClaim = claim;
  return report;
}

/** A failed report for a precheck mismatch: nothing was downloaded. */
export function claimMismatchReport(base: VerificationReport, claim: ReturnType<typeof hubPrecheck>): VerificationReport {
  base.verified = false;
  base.errors = [
    { code: 'HASH_MISMATCH', message: claim.summary, ...(claim.differ[0] ? { resource: claim.differ[0].name } : {}) },
    ...claim.differ.map((d) => ({
      code: 'HASH_MISMATCH' as const,
      message: `Hash mismatch for '${d.name}' (before download, as the Hub records it): Expected 'sha256:${d.signed}', the Hub records 'sha256:${d.remote}'`,
      resource: d.name,
    })),
  ];
  return base;
}
