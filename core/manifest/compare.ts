/** Signed manifest ↔ computed digests → per-resource statuses, in the reference's message wording. */
import type { Resource } from './types.js';

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

/**
 * `expected` comes from the signature; `actual` maps identifiers the model has to their computed digests
 * (undefined digest = present but not hashed, e.g. an unsigned extra). Equality covers algorithm and digest.
 */
export function compareManifests(
  modelName: string,
  expected: readonly Resource[],
  actual: ReadonlyMap<string, { algorithm: string; digest?: string; bytes: number }>,
  ignoreUnsigned: boolean,
): Comparison {
  const results: ResourceResult[] = [];
  const errors: Comparison['errors'] = [];
  const expectedIds = new Set<string>();
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const r of expected) {
    expectedIds.add(r.id);
    const a = actual.get(r.id);
    if (!a) {
      missing.push(r.id);
      results.push({ name: r.id, status: 'missing', algorithm: r.algorithm, expected: r.digest, bytes: 0 });
      continue;
    }
    const ok = a.algorithm === r.algorithm && a.digest === r.digest;
    if (!ok) mismatched.push(r.id);
    results.push({ name: r.id, status: ok ? 'ok' : 'mismatch', algorithm: r.algorithm, expected: r.digest, actual: a.digest, bytes: a.bytes });
    if (!ok) {
      errors.push({
        code: 'HASH_MISMATCH',
        resource: r.id,
        message: `Hash mismatch for '${r.id}': Expected '${r.algorithm}:${r.digest}', Actual '${a.algorithm}:${a.digest}'`,
      });
    }
  }
  const extras = [...actual.keys()].filter((id) => !expectedIds.has(id)).sort();
  for (const id of extras) {
    const a = actual.get(id)!;
    results.push({ name: id, status: 'unsigned', algorithm: a.algorithm, actual: a.digest, bytes: a.bytes });
  }
  const head: Comparison['errors'] = [];
  if (extras.length > 0 && !ignoreUnsigned) {
    for (const id of extras) head.push({ code: 'UNSIGNED_FILE', resource: id, message: `Extra files found in model '${modelName}': ${id}` });
  }
  for (const id of missing.sort()) head.push({ code: 'MISSING_FILE', resource: id, message: `Missing files in model '${modelName}': ${id}` });
  return { results, errors: [...head, ...errors.sort((x, y) => (x.resource < y.resource ? -1 : 1))] };
}
