/**
 * Signing and verifying an OCI image manifest as a model, compatible with the Go port (docs/oci.md): the
 * resources are the manifest's descriptor digests (resources.ts), never hashed here: the manifest IS the claim.
 * Verification is the one path otherwise (verifySignature → signed manifest → compareManifests → report).
 */
import { fail, toModelVerifyError } from '../errors.js';
import { compareManifests, type ActualResource } from '../manifest/compare.js';
import { rootDigest } from '../manifest/root-digest.js';
import type { Policy } from '../policy/types.js';
import { signPayload } from '../sign/sign-model.js';
import type { BundleSigner } from '../sign/signers.js';
import { statementPayload } from '../sign/statement.js';
import { emptyReport, type VerificationReport } from '../verify/report.js';
import { recordSignature, verifySignature, type SignatureOptions } from '../verify/verify-model.js';
import { parseImageManifest } from './image-manifest.js';
import { ociResources } from './resources.js';

/** The Go port's model name for a manifest file: its base name without the extension (`oci-manifest.json` → `oci-manifest`). */
export function modelNameFromManifestPath(p: string): string {
  const base =
    p
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? p;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export interface OciManifestSignOptions {
  /** Layer names to leave out, matched by the Go port's rule (e.g. `config.json`). Not recorded in the statement (as in Go). */
  ignorePaths?: readonly string[];
}

/** The statement payload for an image manifest (deterministic: the same manifest and options give the same bytes). */
export async function buildOciManifestPayload(
  manifestBytes: Uint8Array,
  modelName: string,
  o: OciManifestSignOptions = {},
): Promise<{ payload: Uint8Array; resources: { id: string; digest: string }[]; rootDigest: string }> {
  const resources = ociResources(parseImageManifest(manifestBytes), o.ignorePaths ?? []);
  if (resources.length === 0) fail('MODEL_EMPTY', `Refusing to sign '${modelName}': every layer of the OCI manifest is ignored`);
  const root = await rootDigest(resources);
  const payload = statementPayload({
    modelName,
    rootDigest: root,
    // Go: NewFileSerialization("sha256", false, nil): files, sha256, no symlinks, no recorded ignore paths.
    serialization: { method: 'files', hashType: 'sha256', allowSymlinks: false },
    ignorePaths: [],
    resources,
  });
  return { payload, resources: resources.map((r) => ({ id: r.id, digest: r.digest })), rootDigest: root };
}

/** Signs an image manifest; the bundle has passed our own verifier. */
export async function signOciManifest(
  manifestBytes: Uint8Array,
  modelName: string,
  signer: BundleSigner,
  o: OciManifestSignOptions & { signal?: AbortSignal } = {},
): Promise<{ bundle: Uint8Array; rootDigest: string; resources: { id: string; digest: string }[] }> {
  const built = await buildOciManifestPayload(manifestBytes, modelName, o);
  return { bundle: await signPayload(built.payload, signer, o.signal), rootDigest: built.rootDigest, resources: built.resources };
}

export interface OciManifestVerifyOptions extends SignatureOptions {
  /** Layer names to leave out (Go port's rule), in addition to those the signature records. */
  ignorePaths?: readonly string[];
  /** Accept layers the signature does not cover (e.g. `config.json` against a directory signature). */
  ignoreUnsigned?: boolean;
}

/** The note every manifest verification carries: what was and was not checked. */
export const DIGESTS_FROM_MANIFEST =
  "The digests are the OCI manifest's own (nothing was hashed): this proves the manifest names the signed blobs; a client pulling them checks each blob against its digest.";

/**
 * Verifies a signature against an image manifest: a manifest-signed signature, or a directory-signed one (then the
 * config blob is an unsigned extra: pass ignoreUnsigned, as the Go port's cross-verification does). Never throws
 * for a verification failure.
 */
export async function verifyOciManifest(
  manifestBytes: Uint8Array,
  modelName: string,
  bundleBytes: Uint8Array | string,
  policy: Policy,
  opts: OciManifestVerifyOptions = {},
): Promise<VerificationReport> {
  const t0 = Date.now();
  const report = emptyReport({ name: modelName, listable: true });
  try {
    const image = parseImageManifest(manifestBytes); // a bad manifest fails before any signature work
    const sig = await verifySignature(bundleBytes, policy, opts);
    const { manifest } = sig;
    recordSignature(report, sig);
    const s = manifest.serialization;
    if (s.method !== 'files' || s.hashType !== 'sha256') {
      fail(
        'SERIALIZATION_UNSUPPORTED',
        `This signature hashes ${s.method === 'shards' ? 'shards' : 'files'} with ${s.hashType}; an OCI manifest only records sha256 digests of whole blobs, ` +
          'so it can be checked against the image files themselves only (verify oci://REGISTRY/REPO:TAG or the model directory)',
      );
    }
    report.warnings.push(DIGESTS_FROM_MANIFEST);
    const actual = new Map<string, ActualResource>();
    for (const r of ociResources(image, [...(opts.ignorePaths ?? []), ...s.ignorePaths])) {
      actual.set(r.id, { path: r.path, algorithm: r.algorithm, digest: r.digest, bytes: r.size });
    }
    const cmp = compareManifests(modelName, manifest.resources, actual, !!opts.ignoreUnsigned);
    report.resources = cmp.results;
    for (const e of cmp.errors) report.errors.push(e);
    report.verified = report.errors.length === 0;
  } catch (e) {
    report.errors.unshift(toModelVerifyError(e).toJSON());
    report.verified = false;
  }
  report.millis = Date.now() - t0;
  return report;
}
