/**
 * The Hub's claim, before any download: the sha256 the Hub recorded for each LFS file of the pinned commit
 * (`lfs.oid` in its tree listing) against the digest the signature holds for that file. It is what the Hub says,
 * not what we hashed: a match never replaces hashing, a mismatch fails early (nothing is downloaded for a model
 * the Hub itself says differs from its signature). Only whole-file sha256 signatures are comparable: shard digests
 * and BLAKE digests have no counterpart on the Hub, nor do small files kept in git (their oid is a git blob sha1).
 */
import type { Manifest } from '../manifest/types.js';
import type { RemoteClaim } from '../verify/report.js';
import type { HfSource } from './hf-source.js';

/** At most this many differing files are listed (the count is always exact). */
const MAX_LISTED = 100;

export function hubPrecheck(source: Pick<HfSource, 'treeFile'>, manifest: Pick<Manifest, 'serialization' | 'resources'>): RemoteClaim {
  const s = manifest.serialization;
  if (s.method !== 'files' || s.hashType !== 'sha256') {
    return {
      by: 'hf',
      status: 'unavailable',
      checked: 0,
      unrecorded: manifest.resources.length,
      differ: [],
      summary: `The Hub records whole-file sha256 digests only; this signature holds ${s.method === 'shards' ? 'shard' : s.hashType} digests, so there is nothing to compare before hashing.`,
    };
  }
  let checked = 0;
  let unrecorded = 0;
  let differing = 0;
  const differ: RemoteClaim['differ'] = [];
  for (const r of manifest.resources) {
    const lfs = source.treeFile(r.path)?.lfsSha256;
    if (lfs === undefined) {
      unrecorded++;
      continue;
    }
    checked++;
    if (lfs !== r.digest) {
      differing++;
      if (differ.length < MAX_LISTED) differ.push({ name: r.path, signed: r.digest, remote: lfs });
    }
  }
  const status: RemoteClaim['status'] = differing > 0 ? 'mismatch' : checked > 0 ? 'match' : 'unavailable';
  const rest = unrecorded > 0 ? ` (${unrecorded} signed file${unrecorded === 1 ? '' : 's'} without a Hub sha256: small files kept in git, or missing)` : '';
  const summary =
    status === 'match'
      ? `The Hub's files match the signature: ${checked} LFS file${checked === 1 ? '' : 's'} recorded with the signed sha256${rest}.`
      : status === 'mismatch'
        ? `The Hub's files do NOT match the signature: ${differing} of ${checked} LFS file${checked === 1 ? '' : 's'} recorded with another sha256 (${differ
            .slice(0, 3)
            .map((d) => `'${d.name}'`)
            .join(', ')}${differing > 3 ? ', …' : ''})${rest}.`
        : `The Hub records no sha256 for any signed file${rest}: nothing to compare before hashing.`;
  return { by: 'hf', status, checked, unrecorded, differ, summary };
}
