/**
 * The signed manifest as a table of files a fetch can be checked against: per file, the pieces its bytes must
 * hash to. A whole-file signature is one piece of unknown length (OMS records no file size); a shard signature is
 * the file's shards, which must tile [0, size) exactly (a gap or overlap in a hostile manifest is refused here,
 * as compareManifests refuses it for a model on disk).
 */
import { ModelVerifyError } from '../errors.js';
import type { HashAlgorithm, Manifest } from '../manifest/types.js';

export interface Piece {
  /** Resource id in the manifest (`path` or `path:start:end`), used as the error's resource. */
  id: string;
  start: number;
  /** Exclusive end; null for a whole-file piece (its length is known only once the body ends). */
  end: number | null;
  /** Lowercase hex. */
  digest: string;
}

export interface SignedFile {
  path: string;
  hash: HashAlgorithm;
  method: 'files' | 'shards';
  pieces: Piece[];
  /** The signed size (shards only). */
  size: number | null;
  /** A manifest whose shards do not tile the file: every request for it is refused with this. */
  invalid?: ModelVerifyError;
}

export function signedFiles(manifest: Manifest): Map<string, SignedFile> {
  const s = manifest.serialization;
  const out = new Map<string, SignedFile>();
  for (const r of manifest.resources) {
    let f = out.get(r.path);
    if (!f) {
      f = { path: r.path, hash: s.hashType, method: s.method, pieces: [], size: null };
      out.set(r.path, f);
    }
    f.pieces.push({ id: r.id, start: r.start ?? 0, end: s.method === 'shards' ? (r.end ?? null) : null, digest: r.digest });
  }
  if (s.method !== 'shards') return out;
  for (const f of out.values()) {
    f.pieces.sort((a, b) => a.start - b.start);
    let at = 0;
    for (const p of f.pieces) {
      if (p.end === null || p.start !== at) {
        f.invalid = new ModelVerifyError('MANIFEST_INVALID', `The signed shards of '${f.path}' do not cover the file contiguously from byte 0`, {
          resource: f.path,
        });
        break;
      }
      at = p.end;
    }
    f.size = at;
  }
  return out;
}
