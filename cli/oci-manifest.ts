/**
 * `sign … manifest.json` / `verify … manifest.json`: a model path ending in `.json` that is an OCI image manifest
 * (schemaVersion 2, at least one layer) is signed and verified as one, as the Go port does (docs/oci.md). Any
 * other `.json` stays a single-file model. `--ignore-paths` values are layer names here (Go's rule), not paths.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { looksLikeImageManifest, modelNameFromManifestPath } from '../core/oci/index.js';
import { readBytes } from './read-input.js';

export interface OciManifestModel {
  /** The manifest file's bytes, read once (what is signed or verified is what was tested). */
  bytes: Uint8Array;
  /** Go port: the file name without `.json`. */
  name: string;
  /** Absolute path, for the report. */
  location: string;
}

/** The model at `modelPath` if it is an image manifest file, else null (no error: it is then a plain model). */
export async function readOciManifestModel(modelPath: string): Promise<OciManifestModel | null> {
  if (!/\.json$/i.test(modelPath)) return null;
  const { MAX_MANIFEST_BYTES } = await import('../core/oci/index.js');
  try {
    const st = statSync(modelPath);
    if (!st.isFile() || st.size > MAX_MANIFEST_BYTES) return null;
  } catch {
    return null; // a missing path keeps the model walk's own error
  }
  const bytes = await readBytes(modelPath, 'OCI manifest', MAX_MANIFEST_BYTES);
  if (!looksLikeImageManifest(bytes)) return null;
  return { bytes, name: modelNameFromManifestPath(modelPath), location: path.resolve(modelPath) };
}

/**
 * `verify … manifest.json`: the report for an image manifest file, or null when `modelPath` is not one (then the
 * caller verifies it as a plain model). Nothing is hashed: the manifest's descriptor digests are compared.
 */
export async function verifyOciManifestFile(
  modelPath: string,
  bundle: Uint8Array,
  policy: import('../core/policy/index.js').Policy,
  o: { ignorePaths?: string[]; ignoreUnsignedFiles?: boolean },
  trustedRoot: unknown,
): Promise<import('../core/verify/index.js').VerificationReport | null> {
  const oci = await readOciManifestModel(modelPath);
  if (!oci) return null;
  const { verifyOciManifest } = await import('../core/oci/index.js');
  const report = await verifyOciManifest(oci.bytes, oci.name, bundle, policy, {
    ignorePaths: o.ignorePaths ?? [],
    ignoreUnsigned: !!o.ignoreUnsignedFiles,
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
  });
  report.model.source = oci.location;
  return report;
}

/** Environment variables for registry credentials: a ready bearer token, or a user name and password for the token endpoint. */
export const OCI_ENV = { username: 'OCI_USERNAME', password: 'OCI_PASSWORD', token: 'OCI_TOKEN' } as const;

/**
 * `oci://registry/repository:tag|@sha256:…` for the CLI: the image (manifest fetched, digest pinned), listed in the
 * view its signature calls for (layers, or a modelcar's tar entries) once the signature is known. The signature
 * must be given (`--signature FILE|URL`): a registry has no standard place for an OMS signature.
 */
export async function openOci(
  spec: string,
  ctx: { env: Record<string, string | undefined>; signal?: AbortSignal; plainHttp?: boolean },
  readSignature: () => Promise<Uint8Array>,
): Promise<{ source: import('../core/serialize/index.js').ModelSource; location: string }> {
  const { OciSource } = await import('../core/sources/index.js');
  const env = (k: string) => ctx.env[k]?.trim() || undefined;
  const [username, password, token] = [env(OCI_ENV.username), env(OCI_ENV.password), env(OCI_ENV.token)];
  const image = await OciSource.open(spec, {
    ...(ctx.plainHttp ? { plainHttp: true } : {}),
    ...(username ? { username, password: password ?? '' } : {}),
    ...(token ? { token } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  let chosen: Promise<import('../core/sources/index.js').OciSource> | undefined;
  const pick = () => (chosen ??= readSignature().then((b) => image.forSignature(b)));
  const source: import('../core/serialize/index.js').ModelSource = {
    name: image.name,
    listable: true,
    async *list(o) {
      yield* (await pick()).list(o);
    },
    stat: async (p, signal) => (await pick()).stat(p, signal),
    open(p, range, signal) {
      let inner: Promise<ReadableStreamDefaultReader<Uint8Array>> | undefined;
      const reader = () => (inner ??= pick().then((s) => s.open(p, range, signal).getReader()));
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          const { done, value } = await (await reader()).read();
          if (done) c.close();
          else c.enqueue(value);
        },
        cancel: async (r) => (await inner)?.cancel(r),
      });
    },
  };
  return { source, location: image.location };
}
