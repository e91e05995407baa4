/**
 * Hashing at the edge. SHA-256 goes through workerd's native crypto.DigestStream and BLAKE2b/BLAKE3 through
 * the statically imported wasm (workerd/hashers.ts); core's StreamingBackend runs the jobs. On top, a KV cache
 * records each object's digests against its R2 etag + version, so an object is hashed once, not per request.
 */
import type { KVNamespace } from '@cloudflare/workers-types/latest';
import { StreamingBackend, type HashBackend, type HashRunOptions } from '../core/hash/index.js';
import type { HashJob } from '../core/serialize/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { fromHex, sha256, toHex, utf8Encode } from '../core/util/index.js';
import { registerWorkerdHashers } from '../workerd/hashers.js';
import { getLargeJson, putLarge } from './kv-large.js';
import type { R2Source } from '../workerd/r2-source.js';

let registered = false;
/** Idempotent; called before the first hash in this isolate. */
export function ensureHashers(): void {
  if (registered) return;
  registerWorkerdHashers();
  registered = true;
}

/** What KV holds per object: digests of byte ranges by algorithm, valid only for this exact upload. */
export interface ObjectDigests {
  etag: string;
  version: string;
  size: number;
  /** `${algorithm}:${start}-${end}` → lowercase hex. */
  digests: Record<string, string>;
}

export async function digestRecordKey(model: string, path: string): Promise<string> {
  // KV keys are limited to 512 bytes; paths may be 1 KiB.
  return `hash/${toHex(await sha256(utf8Encode(`${model}\u0000${path}`)))}`;
}

const slot = (j: HashJob) => `${j.hash}:${j.start}-${j.end}`;

export class CachedBackend implements HashBackend {
  readonly name: string;
  /** Jobs actually hashed (not served from KV) by the last run: lets callers and tests see the cache work. */
  hashedJobs = 0;
  constructor(
    private readonly kv: KVNamespace,
    private readonly inner: HashBackend = new StreamingBackend(4),
  ) {
    ensureHashers();
    this.name = `${inner.name}+kv`;
  }

  async run(jobs: readonly HashJob[], source: ModelSource, opts: HashRunOptions = {}): Promise<Map<string, Uint8Array>> {
    const r2 = source as R2Source;
    const out = new Map<string, Uint8Array>();
    const byPath = new Map<string, HashJob[]>();
    // push, not [...list, j]: copying the list per job made 130,000 shards of one file 8.5 billion copies.
    for (const j of jobs) {
      const list = byPath.get(j.path);
      if (list) list.push(j);
      else byPath.set(j.path, [j]);
    }
    const todo: HashJob[] = [];
    const records = new Map<string, ObjectDigests>();
    await Promise.all(
      [...byPath].map(async ([path, pj]) => {
        const pin = r2.pin?.(path);
        const cached = pin ? await getLargeJson<ObjectDigests>(this.kv, await digestRecordKey(source.name, path)).catch(() => null) : null;
        const valid = pin && cached && cached.etag === pin.etag && cached.version === pin.version && cached.size === pin.size;
        const rec: ObjectDigests = valid ? cached : { etag: pin?.etag ?? '', version: pin?.version ?? '', size: pin?.size ?? -1, digests: {} };
        records.set(path, rec);
        for (const j of pj) {
          const hex = rec.digests[slot(j)];
          const raw = hex ? fromHex(hex) : null;
          if (raw) out.set(j.id, raw);
          else todo.push(j);
        }
      }),
    );
    this.hashedJobs = todo.length;
    if (todo.length === 0) return out;
    const fresh = await this.inner.run(todo, source, opts);
    const dirty = new Set<string>();
    for (const j of todo) {
      const d = fresh.get(j.id)!;
      out.set(j.id, d);
      if (r2.pin?.(j.path)) {
        records.get(j.path)!.digests[slot(j)] = toHex(d);
        dirty.add(j.path);
      }
    }
    // Best effort: a failed or rate-limited write only costs a re-hash later. One at a time: a record of a
    // file in 100k+ shards is MBs of JSON, and putLarge chunks those past KV's value limit.
    for (const path of dirty) {
      const key = await digestRecordKey(source.name, path);
      try {
        if ((await putLarge(this.kv, key, JSON.stringify(records.get(path)))) === 'too-large') console.warn(`digests of '${path}' are too large to cache`);
      } catch (e) {
        console.warn(`digests of '${path}' were not cached: ${(e as Error)?.message ?? e}`);
      }
    }
    return out;
  }
}
