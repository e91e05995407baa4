import { GIT_PATHS, IgnoreSet } from '../core/serialize/ignore.js';
import { computeManifest } from '../core/verify/compute.js';
import { NodePoolBackend } from './hash-pool.js';
import { NodeFsSource } from './node-source.js';
import { modelRelative } from './paths.js';

/** Root digest of a model, files/sha256, as the reference's `digest` command computes it. */
export async function digestModel(model: string, o: { ignorePaths?: string[]; ignoreGitPaths: boolean; allowSymlinks: boolean }): Promise<string> {
  const source = await NodeFsSource.open(model);
  const ignore = new IgnoreSet(o.ignoreGitPaths ? GIT_PATHS : []);
  for (const p of o.ignorePaths ?? []) {
    const rel = source.isFile ? null : modelRelative(source, p);
    if (rel !== null) ignore.add(rel);
  }
  const m = await computeManifest(source, { serialization: { method: 'files', hashType: 'sha256' }, ignore, allowSymlinks: o.allowSymlinks, backend: new NodePoolBackend() });
  return m.rootDigest;
}
