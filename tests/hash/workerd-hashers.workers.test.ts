/**
 * Inside workerd: hash-wasm's own API is refused (runtime compile), the statically imported wasm/ binaries and
 * crypto.DigestStream give the same digests as WebCrypto / @noble/hashes, through the core StreamingBackend.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { blake3 } from '@noble/hashes/blake3.js';
import { createSHA256 } from 'hash-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamingBackend } from '../../core/hash/backend.js';
import { registerHasher, registerStreamDigester, streamDigester } from '../../core/hash/hasher.js';
import type { HashAlgorithm } from '../../core/manifest/types.js';
import type { HashJob } from '../../core/serialize/plan.js';
import { toHex } from '../../core/util/bytes.js';
import { createHasher } from '../../core/hash/hasher.js';
import { digestStreamSha256, digestStreamSink, registerWorkerdHashers } from '../../workerd/hashers.js';
import { fillAt, SyntheticSource } from './synthetic-source.js';

const ALGS: HashAlgorithm[] = ['sha256', 'blake2b', 'blake3'];

async function reference(alg: HashAlgorithm, data: Uint8Array<ArrayBuffer>): Promise<string> {
  if (alg === 'sha256') return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
  return toHex(alg === 'blake2b' ? blake2b(data, { dkLen: 64 }) : blake3(data));
}

afterAll(() => {
  for (const a of ALGS) registerHasher(a, null);
  registerStreamDigester('sha256', null);
});

it('runs in workerd, where hash-wasm cannot compile its wasm at run time', async () => {
  expect(navigator.userAgent).toBe('Cloudflare-Workers');
  await expect(createSHA256()).rejects.toThrow(/disallowed|code generation/i);
});

it('the statically imported wasm hashes (BLAKE3 of "abc", the published test vector)', async () => {
  registerWorkerdHashers();
  const h = await createHasher('blake3');
  h.update(new TextEncoder().encode('abc'));
  expect(toHex(h.digest())).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
});

it('crypto.DigestStream hashes a stream natively', async () => {
  const data = fillAt(new Uint8Array(3_000_017), 2 ** 32 - 7) as Uint8Array<ArrayBuffer>;
  const d = await digestStreamSha256(new Blob([data]).stream());
  expect(toHex(d)).toBe(await reference('sha256', data));
});

describe('registerWorkerdHashers + StreamingBackend', () => {
  const sizes: Record<string, number> = { a: 0, b: 1, c: 16383, d: 16384, e: 16385, f: (1 << 20) + 3, g: 2_500_001 };
  const source = new SyntheticSource(sizes);

  it.each(ALGS)('%s: every file and shard matches the reference', async (alg) => {
    registerWorkerdHashers();
    if (alg === 'sha256') expect(streamDigester('sha256')).toBe(digestStreamSink);
    const jobs: HashJob[] = [];
    for (const [p, s] of Object.entries(sizes)) {
      jobs.push({ id: p, path: p, start: 0, end: s, hash: alg });
      for (let o = 0; o < s; o += 999_983) jobs.push({ id: `${p}:${o}`, path: p, start: o, end: Math.min(s, o + 999_983), hash: alg });
    }
    const got = await new StreamingBackend().run(jobs, source);
    for (const j of jobs)
      expect(toHex(got.get(j.id)!), j.id).toBe(await reference(alg, fillAt(new Uint8Array(j.end - j.start), j.start) as Uint8Array<ArrayBuffer>));
  });

  it('a stream that runs long is MODEL_CHANGED, even through DigestStream', async () => {
    registerWorkerdHashers();
    const job: HashJob = { id: 'g', path: 'g', start: 0, end: 10, hash: 'sha256' };
    const lying = {
      ...source,
      name: 'x',
      listable: true,
      list: source.list.bind(source),
      stat: source.stat.bind(source),
      open: () => new Blob([new Uint8Array(20)]).stream(),
    };
    await expect(new StreamingBackend().run([job], lying)).rejects.toMatchObject({ code: 'MODEL_CHANGED' });
  });
});
