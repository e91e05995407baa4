/**
 * The one verification function every shell calls:
 * bundle → signature + policy → statement → manifest; model → plan → hashes; compare → report.
 * It never throws for a verification failure: every outcome is a VerificationReport.
 */
import { parseBundle } from '../bundle/reader.js';
import { statementToManifest } from '../bundle/statement.js';
import { IN_TOTO_PAYLOAD_TYPE, type Bundle } from '../bundle/types.js';
import { fail, toModelVerifyError } from '../errors.js';
import { compareManifests, type ActualLookup, type ActualResource } from '../manifest/compare.js';
import { resourceCount, type Manifest, type PackedResources, type Resource } from '../manifest/types.js';
import type { HashBackend, Progress } from '../hash/backend.js';
import { JobPositions, type Digests } from '../hash/digests.js';
import type { HashJob } from '../serialize/plan.js';
import { parsePolicy } from '../policy/parse.js';
import type { Policy } from '../policy/types.js';
import { GIT_PATHS, IgnoreSet } from '../serialize/ignore.js';
import type { ModelSource } from '../serialize/source.js';
import { letGo } from '../util/bytes.js';
import { inPhase, type OnPhase } from '../util/phase.js';
import { clip, describeValue } from '../util/json.js';
import { planAndHash } from './compute.js';
import { dsseEnvelope, verifyKeySignature } from './envelope.js';
import { emptyReport, type SignerSummary, type TrustRootInfo, type VerificationReport } from './report.js';

export interface SignatureOptions {
  /** Time at which certificates must be valid (default: now). */
  time?: Date;
  /** Sigstore TrustedRoot JSON; the embedded production root is used when absent. */
  trustedRoot?: unknown;
  signal?: AbortSignal;
}

export interface VerifyOptions extends SignatureOptions {
  /** Extra model-relative paths to ignore (the CLI adds the signature file when it lies inside the model). */
  ignorePaths?: string[];
  /** Ignore top-level .git, .gitattributes, .github, .gitignore (default true, like the reference). */
  ignoreGitPaths?: boolean;
  /** Allow unsigned extra files (they are listed in the report, not hashed). */
  ignoreUnsigned?: boolean;
  /** Follow symlinks inside the model (never outside it). Default false; the signature's value is not trusted. */
  allowSymlinks?: boolean;
  backend?: HashBackend;
  onProgress?: (p: Progress) => void;
  onStage?: (stage: 'signature' | 'hashing' | 'compare') => void;
  /** Observer of the phases (signature, walk, hashing, compare) for logs and traces; see core/util/phase.ts. */
  onPhase?: OnPhase;
  /**
   * The caller hands the bundle's bytes over and never reads them again: once the signature is checked their
   * buffer is detached (every view of it then reads as empty), so it is freed at once rather than at a full
   * collection that a walk of 100k files may not reach (the CLI: 21.6 MB held through the walk otherwise).
   */
  releaseBundle?: boolean;
}

export interface SignatureResult {
  signer: SignerSummary;
  manifest: Manifest;
  warnings: string[];
  trustRoot?: TrustRootInfo;
}

/**
 * The manifest a bundle's statement signs. Read only after its signature checked out (by verifySignature, or by
 * inspectSignature's policy-free checks): before that the statement is the claim of anyone who can write a file.
 */
export async function signedManifest(bundle: Bundle): Promise<Manifest> {
  const env = dsseEnvelope(bundle);
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    fail('DSSE_PAYLOAD_TYPE', `Expected DSSE payload ${IN_TOTO_PAYLOAD_TYPE}, but got ${clip(env.payloadType)}`);
  }
  const manifest = await statementToManifest(env.payload);
  if (resourceCount(manifest) === 0) {
    fail('MANIFEST_EMPTY', 'The signature covers no files: an empty manifest proves nothing about a model');
  }
  return manifest;
}

/** Checks a bundle's signature against a policy and returns the signed manifest (no model bytes needed). */
export async function verifySignature(bundleBytes: Uint8Array | string, policy: Policy, opts: SignatureOptions = {}): Promise<SignatureResult> {
  const bundle = parseBundle(bundleBytes);
  const { signer, warnings, trustRoot } = await checkSignature(bundle, policy, opts);
  const manifest = await signedManifest(bundle);
  // The bundle is this function's own: its decoded payload (and PAE), as large as the statement, is freed now.
  if (bundle.content.kind === 'dsse') letGo(bundle.content.envelope.payload);
  return trustRoot ? { signer, manifest, warnings, trustRoot } : { signer, manifest, warnings };
}

/** The policy's checks of a parsed bundle: its signature and signer, without reading the statement it signs. */
export async function checkSignature(bundle: Bundle, policy: Policy, opts: SignatureOptions = {}): Promise<Omit<SignatureResult, 'manifest'>> {
  // The same reading every shell's policy input went through: what they accept is what runs here.
  policy = parsePolicy(policy);
  let signer: SignerSummary;
  let warnings: string[];
  let trustRoot: SignatureResult['trustRoot'];
  switch (policy?.method) {
    case 'key':
      ({ signer, warnings } = await verifyKeySignature(bundle, policy.publicKey));
      if (policy.keyName && signer.method === 'key') signer.keyName = policy.keyName;
      break;
    case 'certificate':
      {
        // Loaded on use: X.509 (pkijs) is most of the code size, and key verification needs none of it.
        const { verifyCertificateSignature } = await import('./certificate.js');
        ({ signer, warnings } = await verifyCertificateSignature(bundle, policy.anchors, opts.time ?? new Date(), policy.timestampAuthorities));
      }
      break;
    case 'sigstore':
      {
        // Loaded on use: key and certificate verification need none of the Sigstore trust machinery.
        const { verifySigstoreSignature } = await import('../sigstore/index.js');
        ({ signer, warnings, trustRoot } = await verifySigstoreSignature(bundle, policy, { trustedRoot: opts.trustedRoot, signal: opts.signal }));
      }
      break;
    default:
      fail('POLICY_INVALID', `Unknown verification method '${describeValue((policy as { method?: unknown })?.method)}'`);
  }
  return trustRoot ? { signer, warnings, trustRoot } : { signer, warnings };
}

/** What a verified signature says, into the report: signer, warnings, trust root, statement and serialization. */
export function recordSignature(report: VerificationReport, sig: SignatureResult): void {
  const { manifest } = sig;
  report.signer = sig.signer;
  for (const w of sig.warnings) report.warnings.push(w);
  if (sig.trustRoot) report.trustRoot = sig.trustRoot;
  report.statement = { subjectName: manifest.modelName, rootDigest: manifest.rootDigest, predicateType: manifest.predicateType };
  const s = manifest.serialization;
  report.serialization = { method: s.method, hashType: s.hashType, ...(s.shardSize ? { shardSize: s.shardSize } : {}), ignorePaths: s.ignorePaths };
}

/**
 * Files: every planned file is one job whose id is its path and whose size is its `end`, so its digest and size
 * are looked up when the comparison asks (no object per file kept for the whole comparison, as a Map of 100k
 * entries would); the comparison asks in manifest order, which is the walk's, so the lookup mostly follows a cursor.
 */
function fileDigests(digests: Digests, jobs: readonly HashJob[], algorithm: string): ActualLookup {
  const positions = new JobPositions(jobs);
  const at = (id: string, digest: Uint8Array): ActualResource => ({ path: id, algorithm, digest, bytes: jobs[positions.find(id)!]!.end });
  return {
    get: (id) => {
      const d = digests.get(id);
      return d && at(id, d);
    },
    size: digests.size,
    *[Symbol.iterator](): Generator<[string, ActualResource]> {
      for (const [id, d] of digests) yield [id, at(id, d)];
    },
  };
}

export async function verifyModel(
  source: ModelSource,
  bundleBytes: Uint8Array | string,
  policy: Policy,
  opts: VerifyOptions = {},
): Promise<VerificationReport> {
  const t0 = Date.now();
  const report = emptyReport({ name: source.name, listable: source.listable });
  try {
    opts.onStage?.('signature');
    const sig = await inPhase(
      opts.onPhase,
      'signature',
      { method: String((policy as { method?: unknown })?.method) },
      () => verifySignature(bundleBytes, policy, opts),
      (r) => ({ method: r.signer.method, ...(r.trustRoot ? { trust_root: r.trustRoot.source } : {}), resources: resourceCount(r.manifest) }),
    );
    // Not needed again: a suspended async function keeps its variables alive, and the signature file can be MiBs
    // (a caller that drops its own reference lets it go while the model is walked and hashed).
    if (opts.releaseBundle && typeof bundleBytes !== 'string') letGo(bundleBytes);
    bundleBytes = '';
    const { manifest } = sig;
    recordSignature(report, sig);
    const s = manifest.serialization;
    if (s.allowSymlinks && !opts.allowSymlinks) {
      report.warnings.push('The signer allowed symlinks; they are refused unless you also allow them (--allow-symlinks).');
    }

    const ignore = new IgnoreSet([...(opts.ignoreGitPaths === false ? [] : GIT_PATHS), ...(opts.ignorePaths ?? []), ...s.ignorePaths]);
    let onlyPaths: Set<string> | undefined;
    if (opts.ignoreUnsigned || !source.listable) {
      onlyPaths = new Set<string>();
      const p = manifest.packed;
      if (p) for (const path of p.shards ? p.shards.paths : p.ids) onlyPaths.add(path);
      else for (const r of manifest.resources) onlyPaths.add(r.path);
      if (onlyPaths.has(source.name)) onlyPaths.add('.'); // a single-file model signed under its basename
    }
    if (!source.listable) report.warnings.push('This model source cannot list its files: unsigned extra files cannot be detected.');

    opts.onStage?.('hashing');
    const { plan, digests, backend } = await planAndHash(source, {
      serialization: s,
      ignore,
      allowSymlinks: !!opts.allowSymlinks,
      ...(onlyPaths ? { onlyPaths } : {}),
      ...(opts.backend ? { backend: opts.backend } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
    });
    // Packed (as read from the statement): no object or hex string per signed resource until the report's own.
    let expected: readonly Resource[] | PackedResources = manifest.packed ?? manifest.resources;
    if (plan.singleFile) {
      // A single-file model is named "." by Python and by its basename by Go and the spec: accept both.
      expected = manifest.resources.map((r) => (r.path === source.name ? { ...r, path: '.', id: r.start === undefined ? '.' : `.:${r.start}:${r.end}` } : r));
    }
    report.hashBackend = backend.name;

    opts.onStage?.('compare');
    const endCompare = opts.onPhase?.('compare', { resources: resourceCount(manifest) });
    // Raw digests: compareManifests makes hex only for what does not match.
    let actual: ActualLookup;
    if (s.method === 'files') actual = fileDigests(digests, plan.jobs, plan.algorithm);
    else {
      const byId = new Map<string, ActualResource>();
      for (const j of plan.jobs) byId.set(j.id, { path: j.path, algorithm: plan.algorithm, digest: digests.get(j.id)!, bytes: j.end - j.start });
      actual = byId;
    }
    report.bytesHashed += plan.totalBytes;
    // Shards: file sizes let the comparison hold each signed file to exactly the extent its shards cover
    // (a file grown by whole shards is a mismatch, not "unsigned" shards) and see empty files, which have none.
    const cmp = compareManifests(source.name, expected, actual, !!opts.ignoreUnsigned, {
      unhashed: plan.skippedUnsigned,
      algorithm: plan.algorithm,
      ...(s.method === 'shards' ? { fileSizes: plan.fileSizes } : {}),
    });
    report.resources = cmp.results;
    // A loop, not push(...cmp.errors): a 150k-resource manifest would overflow the call stack (INTERNAL).
    for (const e of cmp.errors) report.errors.push(e);
    report.verified = report.errors.length === 0;
    endCompare?.({ attributes: { verdict: report.verified, ...(report.errors[0] ? { code: report.errors[0].code } : {}) } });
  } catch (e) {
    // Aborted: the caller's reason (e.g. the CLI's TIMEOUT) is the cause, whatever the step that noticed threw.
    const err = toModelVerifyError(opts.signal?.aborted && opts.signal.reason !== undefined ? opts.signal.reason : e);
    report.errors.unshift(err.toJSON());
    report.verified = false;
  }
  report.millis = Date.now() - t0;
  return report;
}
