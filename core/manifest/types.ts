import { toHex } from '../util/bytes.js';

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
  /** Made on first use when the manifest was read packed (see `packed`). */
  resources: Resource[];
  /**
   * The same resources packed, as statement reading gives them: verification compares these and never makes the
   * 100k objects and hex strings of `resources` for a 100k-file model. Absent on manifests made by hand.
   */
  packed?: PackedResources;
  /** Lowercase hex SHA-256 over the raw resource digests in list order (null for v0.1 "Digests" statements). */
  rootDigest: string | null;
  predicateType: string;
}

/** A manifest's resources in list order without an object or a hex string per resource. */
export interface PackedResources {
  /** Identifiers: the path for files, `path:start:end` for shards. */
  readonly ids: readonly string[];
  /** Shards only: each one's file and byte range (for files the id is the path). */
  readonly shards?: { readonly paths: readonly string[]; readonly starts: readonly number[]; readonly ends: readonly number[] };
  /** The algorithm string of every resource (a manifest has one). */
  readonly algorithm: string;
  /** Bytes per digest. */
  readonly width: number;
  /** The raw digests one after another (ids.length × width bytes): also exactly what the root digest hashes. */
  readonly digests: Uint8Array;
  /** Set only by readers that refused a repeated id (statement reading): the comparison then keeps no set of ids. */
  readonly distinct?: boolean;
}

/** Resource `i` of a packed list (with its digest as lowercase hex). */
export function packedResource(p: PackedResources, i: number): Resource {
  const digest = toHex(p.digests.subarray(i * p.width, (i + 1) * p.width));
  const id = p.ids[i]!;
  if (!p.shards) return { id, path: id, algorithm: p.algorithm, digest };
  return { id, path: p.shards.paths[i]!, start: p.shards.starts[i]!, end: p.shards.ends[i]!, algorithm: p.algorithm, digest };
}

/** How many resources a list signs, read from its packed form when it has one (without making the list). */
export function resourceCount(m: { readonly packed?: PackedResources | undefined; readonly resources: readonly unknown[] }): number {
  return m.packed ? m.packed.ids.length : m.resources.length;
}

/**
 * A manifest over packed resources whose `resources` list is made on first read (and may be replaced like any
 * field): readers that only need the packed form, like verification, never pay for it.
 */
export function packedManifest(fields: Omit<Manifest, 'resources' | 'packed'>, packed: PackedResources): Manifest {
  return withPackedResources(fields, packed);
}

/** `fields` with `packed` and a `resources` list made from it on first read (a replaced list drops `packed`). */
export function withPackedResources<T extends object>(fields: T, packed: PackedResources): T & { resources: Resource[]; packed?: PackedResources } {
  let list: Resource[] | undefined;
  const m = { ...fields, packed } as T & { resources: Resource[]; packed?: PackedResources };
  Object.defineProperty(m, 'resources', {
    enumerable: true,
    configurable: true,
    get: () => (list ??= Array.from(packed.ids, (_, i) => packedResource(packed, i))),
    set: (v: Resource[]) => {
      // A replaced list is the resources from now on: the packed form no longer describes them.
      list = v;
      delete m.packed;
    },
  });
  return m;
}

export function resourceAlgorithm(s: Pick<Serialization, 'method' | 'hashType' | 'shardSize'>): string {
  return s.method === 'shards' ? `${s.hashType}-sharded-${s.shardSize}` : s.hashType;
}
