export type HashAlgorithm = 'sha256' | 'blake2b' | 'blake3';
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'blake2b', 'blake3'];
export const DIGEST_SIZE: Record<HashAlgorithm, number> = { sha256: 32, blake2b: 64, blake3: 32 };

export interface Serialization {
  method: 'files' | 'shards';
  hashType: HashAlgorithm;
  /** Bytes per shard (method 'shards' only). */
  shardSize?: number;
  allowSymlinks: boolean;
  /** Paths relative to the model root recorded by the signer (v1.1+); treated as a set. */
  ignorePaths: string[];
}

/** One signed or computed resource: a whole file, or a byte range [start, end) of one. */
export interface Resource {
  /** Canonical identifier: `path` for files, `path:start:end` for shards. */
  id: string;
  /** POSIX path relative to the model root; "." for a single-file model. */
  path: string;
  start?: number;
  end?: number;
  /** Algorithm string exactly as written in a manifest, e.g. `sha256` or `sha256-sharded-1000000000`. */
  algorithm: string;
  /** Lowercase hex. */
  digest: string;
}

export interface Manifest {
  /** Informational model name (the statement subject's name). */
  modelName: string;
  serialization: Serialization;
  resources: Resource[];
  /** Lowercase hex SHA-256 over the raw resource digests in list order (null for v0.1 "Digests" statements). */
  rootDigest: string | null;
  predicateType: string;
}

export function resourceAlgorithm(s: Pick<Serialization, 'method' | 'hashType' | 'shardSize'>): string {
  return s.method === 'shards' ? `${s.hashType}-sharded-${s.shardSize}` : s.hashType;
}
