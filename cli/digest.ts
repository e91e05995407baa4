import { GIT_PATHS, IgnoreSet } from '../core/serialize/index.js';
import { computeManifest } from '../core/verify/index.js';
import { NodeHashPool } from '../node/hash-pool.js';
import { NodeSource } from '../node/source.js';
import { modelRelative } from './paths.js';

/** Root digest of a model, files/sha256, as the reference's `digest` command computes it. */
export async function digestModel(model: string, o: { ignorePaths?: string[]; ignoreGitPaths: boolean; allowSymlinks: boolean }): Promise<string> {
  const source = await NodeSource.open(model);
  const ignore = new IgnoreSet(o.ignoreGitPaths ? GIT_PATHS : []);
  for (const p of o.ignorePaths ?? []) {
    const rel = source.isFile ? null : modelRelative(source, p);
    if (rel !== null) ignore.add(rel);
  }
  const m = await computeManifest(source, {
    serialization: { method: 'files', hashType: 'sha256' },
    ignore,
    allowSymlinks: o.allowSymlinks,
    backend: new NodeHashPool(),
  });
  return m.rootDigest;
}
