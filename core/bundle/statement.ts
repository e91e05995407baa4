/**
 * in-toto Statement v1 → signed Manifest. Handles the current predicate (`signature/v1.0`) and the
 * v0.2.0 one-subject-per-file "Digests/v0.1" layout. The payload bytes are parsed, never re-serialized.
 */
import { fail } from '../errors.js';
import { normalizeResourcePath, parseShardName, shardId } from '../manifest/names.js';
import {
  DIGEST_SIZE,
  HASH_ALGORITHMS,
  packedManifest,
  resourceAlgorithm,
  type HashAlgorithm,
  type Manifest,
  type PackedResources,
  type Serialization,
} from '../manifest/types.js';
import { hexInto, sha256, toHex, utf8Decode } from '../util/bytes.js';
import {
  clip,
  describeValue as describe,
  isObject,
  parseJson,
  parseJsonChunked,
  requireArray,
  requireObject,
  requireString,
  type JsonObject,
} from '../util/json.js';

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

export async function statementToManifest(payload: Uint8Array): Promise<Manifest> {
  const { st, collected } = readStatement(payload);
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
  const resources = collected ?? collect(rawResources);
  if (resources.count > MAX_RESOURCES) fail('MANIFEST_INVALID', `The manifest lists more than ${MAX_RESOURCES} resources`);
  const packed = readResources(resources, serialization);

  // The root is SHA-256 over the raw digests in list order: the packed buffer is exactly that.
  const computed = toHex(await sha256(packed.digests));
  if (computed !== declaredRoot) {
    fail('ROOT_DIGEST_MISMATCH', `Manifest is inconsistent. Root digest is ${declaredRoot}, but the included resources hash to ${computed}`);
  }
  rejectDuplicates(packed.ids);
  if (packed.shards) checkShardTiling(packed, serialization.shardSize!);
  return packedManifest({ modelName, serialization, rootDigest: declaredRoot, predicateType }, { ...packed, distinct: true });
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

/** The statement's text parsed: its resources collected a chunk at a time as they are parsed, when that can be done. */
function readStatement(payload: Uint8Array): { st: unknown; collected?: Collected } {
  const text = utf8Decode(payload, 'The signed statement', 'STATEMENT_TYPE');
  // Duplicate keys or two spellings of a field could hide resources from one reader and not another.
  const opts = { spellings: true };
  const collected = new Collector();
  const chunked = parseJsonChunked(text, 'The signed statement', 'STATEMENT_TYPE', opts, RESOURCES_PATH, (i, v, n) => collected.add(i, v, n));
  if (chunked) return { st: chunked.outer, collected: collected.done(chunked.count) };
  return { st: parseJson(text, 'The signed statement', 'STATEMENT_TYPE', opts) };
}

const RESOURCES_PATH = ['predicate', 'resources'];

/** The resources as parsed, before any is judged (readResources judges them in order, as written). */
interface Collected {
  count: number;
  /** Resources of the usual form (an object with three strings, the digest hex): name, algorithm (by index), digest. */
  names: string[];
  algorithms: string[];
  algorithmOf: number[];
  /** Digests of the usual form decoded, `stride` bytes each (the first one's width; others are not usual). */
  stride: number;
  digests: Uint8Array;
  /** Everything else, as parsed: judged by the full checks. */
  other: Map<number, unknown>;
}

/** Gathers resources one by one, in the compact form where they have the usual shape (no object kept per resource). */
class Collector {
  private c: Collected = { count: 0, names: [], algorithms: [], algorithmOf: [], stride: -1, digests: new Uint8Array(0), other: new Map() };
  private algorithmIds = new Map<string, number>();
  add(i: number, raw: unknown, count: number): void {
    const c = this.c;
    if (isObject(raw)) {
      const { name, algorithm, digest } = raw;
      if (typeof name === 'string' && typeof algorithm === 'string' && typeof digest === 'string' && digest.length % 2 === 0 && digest.length > 0) {
        if (c.stride < 0) {
          c.stride = digest.length / 2;
          c.digests = new Uint8Array(c.stride * count);
        }
        if (digest.length === 2 * c.stride && hexInto(digest, c.digests, i * c.stride)) {
          let a = this.algorithmIds.get(algorithm);
          if (a === undefined) {
            a = c.algorithms.length;
            c.algorithms.push(algorithm);
            this.algorithmIds.set(algorithm, a);
          }
          c.names[i] = name;
          c.algorithmOf[i] = a;
          return;
        }
      }
    }
    c.other.set(i, raw);
  }
  done(count: number): Collected {
    this.c.count = count;
    return this.c;
  }
}

function collect(raws: readonly unknown[]): Collected {
  const c = new Collector();
  for (let i = 0; i < raws.length; i++) c.add(i, raws[i], raws.length);
  return c.done(raws.length);
}

/**
 * Every resource checked, in order, with the checks and messages of each as written, and packed: ids, shard ranges,
 * and each digest in one buffer (the hex decoder refuses anything but hex digits, in either case), with no object
 * or lowercased string per resource.
 */
function readResources(r: Collected, s: Serialization): PackedResources {
  const canonical = resourceAlgorithm(s);
  const width = DIGEST_SIZE[s.hashType];
  const n = r.count;
  const ids: string[] = new Array(n);
  // The usual digests were decoded in place when they have this width; otherwise each one is refused below.
  const digests = r.stride === width ? r.digests : new Uint8Array(n * width);
  const shards = s.method === 'shards' ? { paths: new Array<string>(n), starts: new Array<number>(n), ends: new Array<number>(n) } : undefined;
  // The spec's schema writes the bare hash name for shards; the reference and Go write `<hash>-sharded-<N>`.
  const accepts = (algorithm: string) => algorithm === canonical || (shards !== undefined && algorithm === s.hashType);
  const algorithmOk = r.algorithms.map(accepts);
  // One message each for both forms of a resource (the usual one decoded while parsing, and any other).
  const wrongAlgorithm = (name: string, algorithm: string): never =>
    fail('MANIFEST_INVALID', `Resource '${clip(name)}' uses algorithm '${clip(algorithm)}' but the serialization says '${canonical}'`);
  const malformedDigest = (name: string): never => fail('MANIFEST_INVALID', `Resource '${clip(name)}' has a malformed ${s.hashType} digest`);
  for (let i = 0; i < n; i++) {
    let name: string;
    if (r.other.has(i)) {
      // Type checks inline, each message made only on failure (four per resource, 400k strings, for 100k files).
      const raw = r.other.get(i);
      if (!isObject(raw)) fail('MANIFEST_INVALID', `predicate.resources[${i}] must be a JSON object`);
      const algorithm = raw.algorithm;
      const digest = raw.digest;
      if (typeof raw.name !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].name must be a string`);
      name = raw.name;
      if (typeof algorithm !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].algorithm must be a string`);
      if (typeof digest !== 'string') fail('MANIFEST_INVALID', `predicate.resources[${i}].digest must be a string`);
      if (!accepts(algorithm)) wrongAlgorithm(name, algorithm);
      if (digest.length !== width * 2 || !hexInto(digest, digests, i * width)) malformedDigest(name);
    } else {
      // The usual form: strings all three, the digest hex of `stride` bytes (already decoded).
      name = r.names[i]!;
      const a = r.algorithmOf[i]!;
      if (!algorithmOk[a]) wrongAlgorithm(name, r.algorithms[a]!);
      if (r.stride !== width) malformedDigest(name);
    }
    if (!shards) {
      ids[i] = normalizeResourcePath(name);
      continue;
    }
    const { path, start, end } = parseShardName(name);
    ids[i] = shardId(path, start, end);
    shards.paths[i] = path;
    shards.starts[i] = start;
    shards.ends[i] = end;
  }
  return shards ? { ids, shards, algorithm: canonical, width, digests } : { ids, algorithm: canonical, width, digests };
}

function rejectDuplicates(ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) fail('MANIFEST_INVALID', `Resource '${clip(id)}' is listed more than once`);
    seen.add(id);
  }
}

/** v0.2.0: one subject per file, sha256, no root digest. */
function compatManifest(st: JsonObject): Manifest {
  const subjects = requireArray(st.subject, 'Statement subject', 'SUBJECT_INVALID');
  if (subjects.length > MAX_RESOURCES) fail('MANIFEST_INVALID', 'Too many subjects');
  const ids: string[] = new Array(subjects.length);
  const digests = new Uint8Array(subjects.length * 32);
  for (let i = 0; i < subjects.length; i++) {
    const s = requireObject(subjects[i], `subject[${i}]`, 'SUBJECT_INVALID');
    const name = requireString(s.name, `subject[${i}].name`, 'SUBJECT_INVALID');
    const d = requireObject(s.digest, `subject[${i}].digest`, 'SUBJECT_INVALID').sha256;
    if (typeof d !== 'string' || d.length !== 64 || !hexInto(d, digests, i * 32)) fail('SUBJECT_INVALID', `subject '${clip(name)}' has no sha256 digest`);
    ids[i] = normalizeResourcePath(name);
  }
  rejectDuplicates(ids);
  return packedManifest(
    {
      modelName: COMPAT_MODEL_NAME,
      serialization: { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] },
      rootDigest: null,
      predicateType: PREDICATE_TYPE_COMPAT,
    },
    { ids, algorithm: 'sha256', width: 32, digests, distinct: true },
  );
}

/**
 * A shard signature must tile each file it names exactly as a signer cuts it (oms-format §2.7): sorted by
 * offset, the shards start at 0, follow each other with no gap or overlap, and all but the last are
 * exactly shard_size long. Anything else cannot come from hashing one file, so the signature contradicts
 * itself and is refused before any model byte is read. This is also what lets verification compare a
 * file's current size with the extent its shards cover (its last shard's end): see compareManifests.
 * O(n log n): one map by path, one sort per file.
 */
function checkShardTiling(p: PackedResources, shardSize: number): void {
  const { paths, starts, ends } = p.shards!;
  const byPath = new Map<string, number[]>();
  for (let i = 0; i < paths.length; i++) {
    const list = byPath.get(paths[i]!);
    if (list) list.push(i);
    else byPath.set(paths[i]!, [i]);
  }
  for (const [path, list] of byPath) {
    list.sort((a, b) => starts[a]! - starts[b]!);
    let at = 0;
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      if (starts[i] !== at) {
        fail(
          'MANIFEST_INVALID',
          `The signed shards of '${clip(path)}' do not cover the file contiguously from byte 0: expected a shard starting at ${at}, found '${clip(p.ids[i]!)}'`,
          { resource: path },
        );
      }
      const length = ends[i]! - starts[i]!;
      if (length > shardSize || (length < shardSize && k !== list.length - 1)) {
        fail('MANIFEST_INVALID', `Shard '${clip(p.ids[i]!)}' is not a ${shardSize}-byte shard of '${clip(path)}' (shard_size ${shardSize})`, {
          resource: path,
        });
      }
      at = ends[i]!;
    }
  }
}
