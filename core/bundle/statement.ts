/**
 * in-toto Statement v1 → signed Manifest. Handles the current predicate (`signature/v1.0`) and the
 * v0.2.0 one-subject-per-file "Digests/v0.1" layout. The payload bytes are parsed, never re-serialized.
 */
import { fail } from '../errors.js';
import { normalizeResourcePath, parseShardName, shardId } from '../manifest/names.js';
import { rootDigest } from '../manifest/root-digest.js';
import { DIGEST_SIZE, HASH_ALGORITHMS, resourceAlgorithm, type HashAlgorithm, type Manifest, type Resource, type Serialization } from '../manifest/types.js';
import { utf8Decode } from '../util/bytes.js';
import { clip, describeValue as describe, isObject, parseJson, requireArray, requireObject, requireString, type JsonObject } from '../util/json.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
export const PREDICATE_TYPE_COMPAT = 'https://model_signing/Digests/v0.1';
export const COMPAT_MODEL_NAME = 'compat-undefined-not-present';

/**
 * Bounds that keep a hostile manifest from exhausting memory long before hashing starts (README "Limits").
 * A 64 MiB bundle holds about 440k resources, so MAX_BUNDLE_BYTES usually binds first; this one still holds
 * if that cap is raised or a caller hands us a statement directly. Verification stays linear up to it
 * (200k resources: ~1.6 s of parsing, checking and comparison).
 */
export const MAX_RESOURCES = 1_000_000;
export const MAX_SHARD_SIZE = 2 ** 50;

const HEX_RE = /^[0-9a-fA-F]+$/;

export async function statementToManifest(payload: Uint8Array): Promise<Manifest> {
  const text = utf8Decode(payload, 'The signed statement', 'STATEMENT_TYPE');
  // Duplicate keys or two spellings of a field could hide resources from one reader and not another.
  const st = parseJson(text, 'The signed statement', 'STATEMENT_TYPE', { spellings: true });
  if (!isObject(st)) fail('STATEMENT_TYPE', 'The signed statement is not a JSON object');
  if (st._type !== STATEMENT_TYPE) {
    fail('STATEMENT_TYPE', `Expected in-toto ${STATEMENT_TYPE} payload, but got ${describe(st._type)}`);
  }
  const predicateType = st.predicateType;
  if (predicateType === PREDICATE_TYPE_COMPAT) return compatManifest(st);
  if (predicateType !== PREDICATE_TYPE) {
    fail('PREDICATE_TYPE', `Predicate type mismatch, expected ${PREDICATE_TYPE}, got ${describe(predicateType)}`);
  }
  const subjects = st.subject;
  if (!Array.isArray(subjects) || subjects.length !== 1) {
    fail('SUBJECT_INVALID', `Expected only one subject, got ${Array.isArray(subjects) ? subjects.length : describe(subjects)}`);
  }
  const subject = requireObject(subjects[0], 'Statement subject', 'SUBJECT_INVALID');
  const modelName = typeof subject.name === 'string' ? subject.name : '';
  const digestObj = requireObject(subject.digest, 'Statement subject digest', 'SUBJECT_INVALID');
  const declaredRoot = digestObj.sha256;
  if (typeof declaredRoot !== 'string' || !/^[0-9a-f]{64}$/.test(declaredRoot)) {
    fail('SUBJECT_INVALID', 'Statement subject has no lowercase hex sha256 digest');
  }

  const predicate = requireObject(st.predicate, 'Statement predicate', 'MANIFEST_INVALID');
  const serialization = readSerialization(requireObject(predicate.serialization, 'predicate.serialization', 'MANIFEST_INVALID'));
  const rawResources = requireArray(predicate.resources, 'predicate.resources', 'MANIFEST_INVALID');
  if (rawResources.length > MAX_RESOURCES) fail('MANIFEST_INVALID', `The manifest lists more than ${MAX_RESOURCES} resources`);
  const canonical = resourceAlgorithm(serialization);
  const resources = rawResources.map((r, i) => readResource(r, i, serialization, canonical));

  const computed = await rootDigest(resources);
  if (computed !== declaredRoot) {
    fail('ROOT_DIGEST_MISMATCH', `Manifest is inconsistent. Root digest is ${declaredRoot}, but the included resources hash to ${computed}`);
  }
  rejectDuplicates(resources);
  if (serialization.method === 'shards') checkShardTiling(resources, serialization.shardSize!);
  return { modelName, serialization, resources, rootDigest: declaredRoot, predicateType };
}

function readSerialization(s: JsonObject): Serialization {
  const method = s.method;
  if (method !== 'files' && method !== 'shards') fail('SERIALIZATION_UNSUPPORTED', `Unknown serialization type ${describe(method)}`);
  const hashType = s.hash_type;
  if (typeof hashType !== 'string' || !(HASH_ALGORITHMS as readonly string[]).includes(hashType)) {
    fail('SERIALIZATION_UNSUPPORTED', `Unsupported hash type ${describe(hashType)}`);
  }
  const allow = s.allow_symlinks;
  if (typeof allow !== 'boolean') fail('MANIFEST_INVALID', 'serialization.allow_symlinks must be a boolean');
  const out: Serialization = { method, hashType: hashType as HashAlgorithm, allowSymlinks: allow, ignorePaths: [] };
  if (method === 'shards') {
    const n = s.shard_size;
    // Python writes whole floats (1000000000.0); JSON.parse already gives us a number either way.
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > MAX_SHARD_SIZE) {
      fail('MANIFEST_INVALID', `serialization.shard_size must be a positive whole number, got ${describe(n)}`);
    }
    out.shardSize = n;
  }
  if (s.ignore_paths !== undefined && s.ignore_paths !== null) {
    const list = requireArray(s.ignore_paths, 'serialization.ignore_paths', 'MANIFEST_INVALID');
    out.ignorePaths = list.map((p) => requireString(p, 'an ignore_paths entry', 'MANIFEST_INVALID'));
  }
  return out;
}

function readResource(raw: unknown, i: number, s: Serialization, canonical: string): Resource {
  // Type checks inline, each message made only on failure (four per resource, 400k strings, for 100k files).
  if (!isObject(raw)) fail('MANIFEST_INVALID', `predicate.resources[${i}] must be a JSON object`);
  const r = raw;
  const name = r.name;
  const algorithm = r.algorithm;
  const digest = r.digest;
  if (typeof name !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].name must be a string`);
  if (typeof algorithm !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].algorithm must be a string`);
  if (typeof digest !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].digest must be a string`);
  // The spec's schema writes the bare hash name for shards; the reference and Go write `<hash>-sharded-<N>`.
  if (algorithm !== canonical && !(s.method === 'shards' && algorithm === s.hashType)) {
    fail('MANIFEST_INVALID', `Resource '${clip(name)}' uses algorithm '${clip(algorithm)}' but the serialization says '${canonical}'`);
  }
  if (!HEX_RE.test(digest) || digest.length !== DIGEST_SIZE[s.hashType] * 2) {
    fail('MANIFEST_INVALID', `Resource '${clip(name)}' has a malformed ${s.hashType} digest`);
  }
  if (s.method === 'files') {
    const path = normalizeResourcePath(name);
    return { id: path, path, algorithm: canonical, digest: digest.toLowerCase() };
  }
  const { path, start, end } = parseShardName(name);
  return { id: shardId(path, start, end), path, start, end, algorithm: canonical, digest: digest.toLowerCase() };
}

function rejectDuplicates(resources: Resource[]): void {
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(r.id)) fail('MANIFEST_INVALID', `Resource '${clip(r.id)}' is listed more than once`);
    seen.add(r.id);
  }
}

/** v0.2.0: one subject per file, sha256, no root digest. */
function compatManifest(st: JsonObject): Manifest {
  const subjects = requireArray(st.subject, 'Statement subject', 'SUBJECT_INVALID');
  if (subjects.length > MAX_RESOURCES) fail('MANIFEST_INVALID', 'Too many subjects');
  const resources: Resource[] = subjects.map((raw, i) => {
    const s = requireObject(raw, `subject[${i}]`, 'SUBJECT_INVALID');
    const name = requireString(s.name, `subject[${i}].name`, 'SUBJECT_INVALID');
    const d = requireObject(s.digest, `subject[${i}].digest`, 'SUBJECT_INVALID').sha256;
    if (typeof d !== 'string' || !HEX_RE.test(d) || d.length !== 64) fail('SUBJECT_INVALID', `subject '${clip(name)}' has no sha256 digest`);
    const path = normalizeResourcePath(name);
    return { id: path, path, algorithm: 'sha256', digest: d.toLowerCase() };
  });
  rejectDuplicates(resources);
  return {
    modelName: COMPAT_MODEL_NAME,
    serialization: { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] },
    resources,
    rootDigest: null,
    predicateType: PREDICATE_TYPE_COMPAT,
  };
}

/**
 * A shard signature must tile each file it names exactly as a signer cuts it (oms-format §2.7): sorted by
 * offset, the shards start at 0, follow each other with no gap or overlap, and all but the last are
 * exactly shard_size long. Anything else cannot come from hashing one file, so the signature contradicts
 * itself and is refused before any model byte is read. This is also what lets verification compare a
 * file's current size with the extent its shards cover (its last shard's end): see compareManifests.
 * O(n log n): one map by path, one sort per file.
 */
function checkShardTiling(resources: readonly Resource[], shardSize: number): void {
  const byPath = new Map<string, Resource[]>();
  for (const r of resources) {
    const list = byPath.get(r.path);
    if (list) list.push(r);
    else byPath.set(r.path, [r]);
  }
  for (const [path, list] of byPath) {
    list.sort((a, b) => a.start! - b.start!);
    let at = 0;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (r.start !== at) {
        fail(
          'MANIFEST_INVALID',
          `The signed shards of '${clip(path)}' do not cover the file contiguously from byte 0: expected a shard starting at ${at}, found '${clip(r.id)}'`,
          { resource: path },
        );
      }
      const length = r.end! - r.start!;
      if (length > shardSize || (length < shardSize && i !== list.length - 1)) {
        fail('MANIFEST_INVALID', `Shard '${clip(r.id)}' is not a ${shardSize}-byte shard of '${clip(path)}' (shard_size ${shardSize})`, { resource: path });
      }
      at = r.end!;
    }
  }
}
