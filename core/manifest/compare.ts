/** Signed manifest ↔ computed digests → per-resource statuses, in the reference's message wording. */
import { equalBytes, toHex } from '../util/bytes.js';
import type { PackedResources, Resource } from './types.js';

export type ResourceStatus = 'ok' | 'mismatch' | 'missing' | 'unsigned';

export interface ResourceResult {
  name: string;
  status: ResourceStatus;
  algorithm: string;
  expected?: string;
  actual?: string;
  bytes: number;
}

export interface Comparison {
  results: ResourceResult[];
  errors: { code: 'HASH_MISMATCH' | 'MISSING_FILE' | 'UNSIGNED_FILE'; message: string; resource: string }[];
}

/** What the model has for one identifier. `path` (the file a shard belongs to) lets shards be judged per file. */
export interface ActualResource {
  algorithm: string;
  /**
   * Undefined = present but not hashed. Lowercase hex, or the raw digest: compared with the signed hex as it is,
   * so a 100k-file model makes no hex string for a digest that matches (the report shows the signed one).
   */
  digest?: string | Uint8Array;
  bytes: number;
  path?: string;
}

/** What compareManifests reads of the model's digests: a Map, or a view that makes entries on demand. */
export interface ActualLookup {
  get(id: string): ActualResource | undefined;
  readonly size: number;
  [Symbol.iterator](): Iterator<[string, ActualResource]>;
}

/** Lowercase hex of a digest given either way. */
const hexOf = (d: string | Uint8Array | undefined): string | undefined => (d === undefined || typeof d === 'string' ? d : toHex(d));

/** Whether a digest (hex or raw) is the signed lowercase hex `hex`, without building a string. */
function sameDigest(d: string | Uint8Array | undefined, hex: string): boolean {
  if (d === undefined || typeof d === 'string') return d === hex;
  if (hex.length !== 2 * d.length) return false;
  for (let i = 0; i < d.length; i++) {
    const hi = d[i]! >> 4;
    const lo = d[i]! & 15;
    // '0'-'9' are 48-57, 'a'-'f' 97-102.
    if (hex.charCodeAt(2 * i) !== (hi < 10 ? 48 + hi : 87 + hi) || hex.charCodeAt(2 * i + 1) !== (lo < 10 ? 48 + lo : 87 + lo)) return false;
  }
  return true;
}

export interface CompareOptions {
  /**
   * Shard signatures: the current size of every file the model has (path → bytes), hashed or not. A signed
   * file must be exactly as long as its signed shards reach; an empty file has no shard and shows up only
   * here. Without it, shards are compared one by one (callers that check sizes themselves, like the gate).
   */
  fileSizes?: ReadonlyMap<string, number>;
  /** Paths present but not hashed because the signature does not list them (ignore-unsigned mode). */
  unhashed?: Iterable<string>;
  /** The manifest algorithm string, reported for entries that were not hashed. */
  algorithm?: string;
}

/**
 * `expected` comes from the signature; `actual` maps identifiers the model has to their computed digests.
 * Equality covers algorithm and digest. In shard mode a file is also judged as a whole: if its size differs
 * from the extent its signed shards cover, that is one HASH_MISMATCH for the file, and its shards beyond
 * (or short of) the signed extent are 'mismatch', never 'unsigned' or 'missing' — otherwise a signed file
 * grown by whole shards would verify under ignore-unsigned, its new shards listed as merely unsigned.
 * O(n log n) in the number of resources.
 */
export function compareManifests(
  modelName: string,
  expected: readonly Resource[] | PackedResources,
  actual: ActualLookup,
  ignoreUnsigned: boolean,
  opts: CompareOptions = {},
): Comparison {
  const signed = signedList(expected);
  const n = signed.count;
  const results: ResourceResult[] = [];
  const mismatches: Comparison['errors'] = [];
  const expectedIds = new Set<string>();
  const missing: string[] = [];

  // Shards: how far each signed file's shards reach (statement.ts has checked they tile it from 0).
  const sizes = opts.fileSizes;
  const signedExtent = new Map<string, number>();
  if (sizes) {
    for (let i = 0; i < n; i++) {
      const end = signed.end(i);
      if (end === undefined) continue;
      const path = signed.path(i);
      signedExtent.set(path, Math.max(signedExtent.get(path) ?? 0, end));
    }
  }
  const resized = new Set<string>();
  for (const [path, extent] of signedExtent) {
    const size = sizes!.get(path);
    if (size === undefined || size === extent) continue; // absent files are reported shard by shard as missing
    resized.add(path);
    mismatches.push({
      code: 'HASH_MISMATCH',
      resource: path,
      message: `Size mismatch for '${path}': its signed shards cover ${extent} bytes, but the file has ${size} bytes`,
    });
  }

  // Distinct signed identifiers the model has: when that is all of `actual`, nothing in it is unsigned.
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const id = signed.id(i);
    const algorithm = signed.algorithm(i);
    let first = true;
    if (!signed.distinct) {
      const before = expectedIds.size;
      expectedIds.add(id);
      first = expectedIds.size !== before;
    }
    const a = actual.get(id);
    if (a && first) matched++;
    if (!a) {
      const status = resized.has(signed.path(i)) ? 'mismatch' : 'missing';
      // A resized file is there but shorter than signed (or re-cut): this shard's bytes differ, not go missing.
      if (status === 'missing') missing.push(id);
      results.push({ name: id, status, algorithm, expected: signed.hex(i), bytes: 0 });
      continue;
    }
    const ok = a.algorithm === algorithm && signed.same(i, a.digest);
    const expectedHex = signed.hex(i);
    const actualHex = ok ? expectedHex : hexOf(a.digest);
    results.push({ name: id, status: ok ? 'ok' : 'mismatch', algorithm, expected: expectedHex, actual: actualHex, bytes: a.bytes });
    if (!ok) {
      mismatches.push({
        code: 'HASH_MISMATCH',
        resource: id,
        message: `Hash mismatch for '${id}': Expected '${algorithm}:${expectedHex}', Actual '${a.algorithm}:${actualHex}'`,
      });
    }
  }

  // Unsigned entries: hashed ones from `actual`, and paths never hashed (kept apart from `actual`, so a file
  // literally named like a shard identifier cannot stand in for that shard).
  const extras: { id: string; a?: ActualResource }[] = [];
  // Distinct ids were not collected above; they are needed only when the model has something unsigned.
  if (signed.distinct && matched !== actual.size) for (let i = 0; i < n; i++) expectedIds.add(signed.id(i));
  for (const [id, a] of matched === actual.size ? [] : actual) {
    if (expectedIds.has(id)) continue;
    const path = a.path ?? id;
    if (signedExtent.has(path)) {
      // A shard of a signed file that the signature does not have: the file changed size. Never 'unsigned'.
      results.push({ name: id, status: 'mismatch', algorithm: a.algorithm, actual: hexOf(a.digest), bytes: a.bytes });
      if (!resized.has(path)) {
        mismatches.push({ code: 'HASH_MISMATCH', resource: id, message: `Hash mismatch for '${id}': the signature has no such shard of '${path}'` });
      }
      continue;
    }
    extras.push({ id, a });
  }
  for (const p of opts.unhashed ?? []) extras.push({ id: p });
  if (sizes) {
    // Shard mode: an empty file has no shard, so the walk alone would never see it. Unless the signature
    // covers its path (then it is a resized file, above), it is an unsigned file like any other.
    for (const [path, size] of sizes) if (size === 0 && !signedExtent.has(path)) extras.push({ id: path });
  }
  extras.sort((x, y) => byCodeUnit(x.id, y.id));
  for (const { id, a } of extras) {
    results.push(
      a
        ? { name: id, status: 'unsigned', algorithm: a.algorithm, actual: hexOf(a.digest), bytes: a.bytes }
        : { name: id, status: 'unsigned', algorithm: opts.algorithm ?? '', bytes: 0 },
    );
  }

  const errors: Comparison['errors'] = [];
  if (extras.length > 0 && !ignoreUnsigned) {
    for (const { id } of extras) errors.push({ code: 'UNSIGNED_FILE', resource: id, message: `Extra files found in model '${modelName}': ${id}` });
  }
  missing.sort(byCodeUnit);
  for (const id of missing) errors.push({ code: 'MISSING_FILE', resource: id, message: `Missing files in model '${modelName}': ${id}` });
  mismatches.sort((x, y) => byCodeUnit(x.resource, y.resource));
  // A loop, not push(...spread): spreading 100k+ items overflows the call stack.
  for (const e of mismatches) errors.push(e);
  return { results, errors };
}

/** The signed side, read by index whichever form it comes in. */
interface SignedList {
  count: number;
  /** No id appears twice (so found ids can be counted without a set of them). */
  distinct: boolean;
  id(i: number): string;
  path(i: number): string;
  /** Shards: where the shard ends; undefined for files. */
  end(i: number): number | undefined;
  algorithm(i: number): string;
  hex(i: number): string;
  /** Whether the model's digest (raw or hex) is this one's. */
  same(i: number, d: string | Uint8Array | undefined): boolean;
}

function signedList(e: readonly Resource[] | PackedResources): SignedList {
  if (Array.isArray(e)) {
    const list = e as readonly Resource[];
    return {
      count: list.length,
      distinct: false,
      id: (i) => list[i]!.id,
      path: (i) => list[i]!.path,
      end: (i) => list[i]!.end,
      algorithm: (i) => list[i]!.algorithm,
      hex: (i) => list[i]!.digest,
      same: (i, d) => sameDigest(d, list[i]!.digest),
    };
  }
  const p = e as PackedResources;
  const w = p.width;
  const raw = (i: number) => p.digests.subarray(i * w, (i + 1) * w);
  return {
    count: p.ids.length,
    distinct: p.distinct === true,
    id: (i) => p.ids[i]!,
    path: p.shards ? (i) => p.shards!.paths[i]! : (i) => p.ids[i]!,
    end: p.shards ? (i) => p.shards!.ends[i]! : () => undefined,
    algorithm: () => p.algorithm,
    hex: (i) => toHex(raw(i)),
    same: (i, d) => (d === undefined ? false : typeof d === 'string' ? d === toHex(raw(i)) : equalBytes(d, raw(i))),
  };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
