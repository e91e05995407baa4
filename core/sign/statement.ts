/**
 * The in-toto statement a signer emits (oms-format §8.1): one subject whose digest is the root over the
 * resources in reference order, predicate `signature/v1.0`, integer `shard_size`, `<hash>-sharded-<N>`
 * algorithm strings, recorded `ignore_paths`. Serialized like Python's MessageToJson (2-space indent,
 * non-ASCII escaped) with a fixed key order and sorted ignore paths, so the same inputs give the same bytes.
 */
import { PREDICATE_TYPE, STATEMENT_TYPE } from '../bundle/statement.js';
import type { Resource, Serialization } from '../manifest/types.js';
import { utf8Encode } from '../util/bytes.js';

export interface StatementInput {
  modelName: string;
  rootDigest: string;
  serialization: Pick<Serialization, 'method' | 'hashType' | 'shardSize' | 'allowSymlinks'>;
  /** Model-relative ignore paths in effect at signing time (recorded as a sorted set). */
  ignorePaths: readonly string[];
  /** Resources in manifest order (the order the root digest was computed over). */
  resources: readonly Pick<Resource, 'id' | 'algorithm' | 'digest'>[];
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
      resources: input.resources.map((r) => ({ name: r.id, algorithm: r.algorithm, digest: r.digest })),
    },
  };
}

/** JSON text with every non-ASCII UTF-16 unit escaped, as Python's ensure_ascii does. */
export function pythonStyleJson(value: unknown): string {
  return asciiOnly(JSON.stringify(value, null, 2));
}

const asciiOnly = (json: string) => json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

export function statementPayload(input: StatementInput): Uint8Array {
  const text = JSON.stringify(buildStatement(input), null, 2);
  // All ASCII (as many bytes as UTF-16 units): nothing to escape, so the escaping pass over MiBs is skipped.
  const bytes = utf8Encode(text);
  return bytes.length === text.length ? bytes : utf8Encode(asciiOnly(text));
}
