/**
 * KV values larger than one KV value may be (25 MiB): a verdict carries the signed manifest, and a file signed
 * in a few hundred thousand shards makes it tens of MB. Such a value is stored as content-addressed chunks
 *   <key>#<sha256 of the whole value>/<i>     → bytes [i·CHUNK, (i+1)·CHUNK) of the UTF-8 text
 * behind a pointer at <key> (an empty value whose metadata names the digest, length and chunk count). Reads
 * check the length and SHA-256 of the reassembled text, so a missing, expired, stale or altered chunk is a
 * cache miss, never a wrong value. Chunks are written before the pointer, and their keys change with the
 * content, so a reader never mixes chunks of two values. Small values stay plain KV values, readable as before.
 */
import type { KVNamespace, KVNamespacePutOptions } from '@cloudflare/workers-types/latest';
import { sha256, toHex, utf8Encode } from '../core/util/index.js';

/** Cloudflare's per-value limit (KV platform limits). */
export const KV_VALUE_LIMIT = 25 * 1024 * 1024;
/** Bytes per chunk: under the limit with room to spare. */
export const KV_CHUNK_BYTES = 20 * 1024 * 1024;
/** More chunks than this (2 GB) is not something to keep in KV, or to read back into a 128 MB isolate. */
const MAX_CHUNKS = 100;

interface ChunkedMeta {
  chunked: { sha256: string; bytes: number; count: number };
}

const chunkKey = (key: string, digest: string, i: number) => `${key}#${digest}/${i}`;

function isChunkedMeta(m: unknown): m is ChunkedMeta {
  const c = (m as ChunkedMeta | null)?.chunked;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(c.sha256) &&
    Number.isSafeInteger(c.bytes) &&
    c.bytes > 0 &&
    Number.isSafeInteger(c.count) &&
    c.count === Math.ceil(c.bytes / KV_CHUNK_BYTES) &&
    c.count <= MAX_CHUNKS
  );
}

/** Outcome of a write, so callers can tell (and log) a value that could not be kept. */
export type PutOutcome = 'stored' | 'chunked' | 'too-large';

/**
 * Stores `text` at `key`, chunked when it is over KV_CHUNK_BYTES. Write failures (rate limits, outages)
 * propagate: the caller decides whether a lost cache entry matters.
 */
export async function putLarge(kv: KVNamespace, key: string, text: string, opts: Pick<KVNamespacePutOptions, 'expirationTtl'> = {}): Promise<PutOutcome> {
  // A string of n UTF-16 units encodes to at most 3n bytes: only encode when it might be too big.
  if (text.length * 3 <= KV_CHUNK_BYTES) {
    await kv.put(key, text, opts);
    return 'stored';
  }
  const bytes = utf8Encode(text);
  if (bytes.byteLength <= KV_CHUNK_BYTES) {
    await kv.put(key, text, opts);
    return 'stored';
  }
  const count = Math.ceil(bytes.byteLength / KV_CHUNK_BYTES);
  if (count > MAX_CHUNKS) return 'too-large';
  const digest = toHex(await sha256(bytes));
  // One after another: each put holds a 20 MiB copy in flight, and the isolate has 128 MB.
  for (let i = 0; i < count; i++) {
    await kv.put(chunkKey(key, digest, i), bytes.subarray(i * KV_CHUNK_BYTES, Math.min(bytes.byteLength, (i + 1) * KV_CHUNK_BYTES)), opts);
  }
  const meta: ChunkedMeta = { chunked: { sha256: digest, bytes: bytes.byteLength, count } };
  await kv.put(key, '', { ...opts, metadata: meta });
  return 'chunked';
}

/** The text at `key` (reassembled and checked when chunked), or null when absent or incomplete. */
export async function getLarge(kv: KVNamespace, key: string): Promise<string | null> {
  const { value, metadata } = await kv.getWithMetadata<unknown>(key, 'text');
  if (value === null) return null;
  if (metadata === null || metadata === undefined) return value;
  if (!isChunkedMeta(metadata)) return value === '' ? null : value;
  const c = metadata.chunked;
  const out = new Uint8Array(c.bytes);
  let o = 0;
  for (let i = 0; i < c.count; i++) {
    const part = await kv.get(chunkKey(key, c.sha256, i), 'arrayBuffer');
    // Not (yet) visible at this location, or expired before the pointer: a miss, recomputed by the caller.
    if (part === null || o + part.byteLength > c.bytes) return null;
    out.set(new Uint8Array(part), o);
    o += part.byteLength;
  }
  if (o !== c.bytes || toHex(await sha256(out)) !== c.sha256) return null;
  return new TextDecoder().decode(out);
}

/** getLarge + JSON.parse; a value that does not parse is a miss. */
export async function getLargeJson<T>(kv: KVNamespace, key: string): Promise<T | null> {
  const text = await getLarge(kv, key);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Deletes a value and, when it was chunked, its chunks. */
export async function deleteLarge(kv: KVNamespace, key: string): Promise<void> {
  const { metadata } = await kv.getWithMetadata<unknown>(key, 'text');
  if (isChunkedMeta(metadata)) {
    for (let i = 0; i < metadata.chunked.count; i++) await kv.delete(chunkKey(key, metadata.chunked.sha256, i));
  }
  await kv.delete(key);
}
