/**
 * The in-toto statement a signer emits (oms-format §8.1): one subject whose digest is the root over the
 * resources in reference order, predicate `signature/v1.0`, integer `shard_size`, `<hash>-sharded-<N>`
 * algorithm strings, recorded `ignore_paths`. Serialized like Python's MessageToJson (2-space indent,
 * non-ASCII escaped) with a fixed key order and sorted ignore paths, so the same inputs give the same bytes.
 */
import { PREDICATE_TYPE, STATEMENT_TYPE } from '../bundle/statement.js';
import { paeHeader } from '../bundle/dsse.js';
import { fail } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../bundle/types.js';
import { packedResource, resourceCount, type PackedResources, type Resource, type Serialization } from '../manifest/types.js';
import { toHex, utf8Encode } from '../util/bytes.js';

export interface StatementInput {
  modelName: string;
  rootDigest: string;
  serialization: Pick<Serialization, 'method' | 'hashType' | 'shardSize' | 'allowSymlinks'>;
  /** Model-relative ignore paths in effect at signing time (recorded as a sorted set). */
  ignorePaths: readonly string[];
  /** Resources in manifest order (the order the root digest was computed over); or `packed`, which wins. */
  resources: readonly Pick<Resource, 'id' | 'algorithm' | 'digest'>[];
  packed?: PackedResources;
}

export function buildStatement(input: StatementInput): object {
  const s = input.serialization;
  const ignorePaths = [...new Set(input.ignorePaths)].sort();
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.modelName, digest: { sha256: input.rootDigest } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      serialization: {
        method: s.method,
        hash_type: s.hashType,
        ...(s.method === 'shards' ? { shard_size: s.shardSize } : {}),
        allow_symlinks: s.allowSymlinks,
        ...(ignorePaths.length ? { ignore_paths: ignorePaths } : {}),
      },
      resources: resourcesOf(input).map((r) => ({ name: r.id, algorithm: r.algorithm, digest: r.digest })),
    },
  };
}

const resourcesOf = (input: StatementInput): readonly Pick<Resource, 'id' | 'algorithm' | 'digest'>[] => {
  const p = input.packed;
  return p ? Array.from(p.ids, (_, i) => packedResource(p, i)) : input.resources;
};

/** JSON text with every non-ASCII UTF-16 unit escaped, as Python's ensure_ascii does. */
export function pythonStyleJson(value: unknown): string {
  return asciiOnly(JSON.stringify(value, null, 2));
}

const asciiOnly = (json: string) => json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

/**
 * The statement's UTF-8 bytes: exactly `pythonStyleJson(buildStatement(input))` encoded, written straight into one
 * buffer rather than through an object per resource, a text as long as the statement and its encoding (~50 MB of
 * garbage for 100k files). The buffer begins with room for the in-toto PAE header, so signing it copies nothing
 * (bundle/dsse.ts pae()); the result is a view of the statement bytes alone.
 */
export function statementPayload(input: StatementInput): Uint8Array {
  const packed = input.packed;
  const n = resourceCount(input);
  if (n === 0) return utf8Encode(pythonStyleJson(buildStatement(input)));
  // The text around the resources, from the very serializer the list would go through (one marker element).
  const mark = `model-verify-resources-${crypto.randomUUID()}`;
  const frame = pythonStyleJson(buildStatement({ ...input, packed: undefined, resources: [{ id: mark, algorithm: '', digest: '' }] }));
  const open = frame.indexOf(`{\n${ITEM}  "name": "${mark}"`);
  const close = frame.indexOf(`\n${ITEM}}`, open) + ITEM.length + 2;
  if (open < 0 || close < open) fail('INTERNAL', 'The statement could not be assembled');
  const head = utf8Encode(frame.slice(0, open));
  const tail = utf8Encode(frame.slice(close));
  // Per resource: its name as a JSON string (non-ASCII escaped), then fixed text, the algorithm and the digest.
  const names: string[] = new Array(n);
  let total = head.length + tail.length + (n - 1) * SEP.length;
  const packedAlgorithm = packed && asciiJson(packed.algorithm);
  const algorithmOf = (i: number) => packedAlgorithm ?? asciiJson(input.resources[i]!.algorithm);
  const digestOf = packed
    ? (i: number) => `"${toHex(packed.digests.subarray(i * packed.width, (i + 1) * packed.width))}"`
    : (i: number) => asciiJson(input.resources[i]!.digest);
  for (let i = 0; i < n; i++) {
    const name = asciiJson(packed ? packed.ids[i]! : input.resources[i]!.id);
    names[i] = name;
    total += FIXED + name.length + algorithmOf(i).length + (packed ? 2 * packed.width + 2 : digestOf(i).length);
  }
  const room = paeHeader(IN_TOTO_PAYLOAD_TYPE, total).length;
  const out = new Uint8Array(room + total);
  let o = room;
  const put = (b: Uint8Array) => {
    out.set(b, o);
    o += b.length;
  };
  const text = (t: string) => {
    o += ascii.encodeInto(t, out.subarray(o)).written;
  };
  put(head);
  for (let i = 0; i < n; i++) {
    if (i > 0) put(SEP_BYTES);
    put(P_NAME);
    text(names[i]!);
    put(P_ALGORITHM);
    text(algorithmOf(i));
    put(P_DIGEST);
    text(digestOf(i));
    put(P_END);
  }
  put(tail);
  if (o !== out.length) fail('INTERNAL', 'The statement could not be assembled');
  out.set(paeHeader(IN_TOTO_PAYLOAD_TYPE, total), 0);
  return out.subarray(room);
}

/** Indent of a resource object in the statement (2 spaces per level: root, predicate, resources). */
const ITEM = '      ';
const P_NAME = utf8Encode(`{\n${ITEM}  "name": `);
const P_ALGORITHM = utf8Encode(`,\n${ITEM}  "algorithm": `);
const P_DIGEST = utf8Encode(`,\n${ITEM}  "digest": `);
const P_END = utf8Encode(`\n${ITEM}}`);
const SEP = `,\n${ITEM}`;
const SEP_BYTES = utf8Encode(SEP);
const FIXED = P_NAME.length + P_ALGORITHM.length + P_DIGEST.length + P_END.length;
const ascii = new TextEncoder();

/** A string as JSON, every non-ASCII unit escaped (all of it ASCII, so its length is its byte count). */
const asciiJson = (v: string): string => {
  const j = JSON.stringify(v);
  for (let i = 0; i < j.length; i++) if (j.charCodeAt(i) >= 0x80) return asciiOnly(j);
  return j;
};
