/**
 * createVerifiedFetch against a plainly written oracle, over random files, shard sizes, body chunkings, ranges and
 * tampering, one-shot bounds and bodies with or without a Content-Length (whole files digested at the end,
 * streamed, or switching from one to the other mid-body): a request is answered iff every signed piece it needs is intact, and then with exactly the bytes the
 * oracle slices from the original file; otherwise it rejects with HASH_MISMATCH. Runs in Node (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVerifiedFetch } from '../../core/fetch/index.js';
import { HUB, modelServer, signFiles } from './model-server.js';

const RUNS = Number(process.env.PROPERTY_CASES ?? 40);

/** The oracle: which bytes a request wants, and which signed pieces (shards, or the whole file) it depends on. */
function oracle(size: number, shard: number | null, range: { a: number; b: number } | null, flip: number | null) {
  const want = range ? { start: Math.min(range.a, size - 1), end: Math.min(range.b, size - 1) } : { start: 0, end: size - 1 };
  // Unsatisfiable: known from the signed size for shards; a whole-file signature learns the size by verifying first.
  if (range && range.a >= size) return shard || flip === null ? { status: 416 as const } : { status: 'mismatch' as const };
  // Shards touched: only with a shard signature and a range; a whole-file signature (or no range) needs the whole file.
  const lo = shard && range ? Math.floor(want.start / shard) * shard : 0;
  const hi = shard && range ? Math.min(size, (Math.floor(want.end / shard) + 1) * shard) : size;
  const broken = flip !== null && flip >= lo && flip < hi;
  return broken ? { status: 'mismatch' as const } : { status: range ? (206 as const) : (200 as const), ...want };
}

describe('createVerifiedFetch against an oracle', () => {
  it('releases exactly the oracle bytes, or refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.option(fc.integer({ min: 1, max: 1500 }), { nil: null }),
        fc.integer({ min: 1, max: 2000 }),
        fc.option(fc.record({ a: fc.nat(5200), len: fc.nat(3000) }), { nil: null }),
        fc.option(fc.nat(5000), { nil: null }),
        fc.boolean(),
        fc.option(fc.nat(6000), { nil: undefined }),
        fc.boolean(),
        async (size, shard, chunk, r, flipAt, ignoreRange, oneShotBytes, undeclared) => {
          const file = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
          const s = await signFiles({ 'f.bin': file }, shard ?? undefined);
          const flip = flipAt === null ? null : flipAt % size;
          const hub = modelServer(
            { 'f.bin': file },
            { 'f.bin': { ...(flip !== null ? { flip } : {}), ignoreRange, ...(undeclared ? { length: null } : {}) } },
            chunk,
          );
          const vf = createVerifiedFetch({
            signature: s.bundle,
            policy: s.policy,
            baseUrl: HUB,
            fetch: hub.fetch,
            ...(oneShotBytes !== undefined ? { oneShotBytes } : {}),
          });
          const range = r ? { a: r.a, b: r.a + r.len } : null;
          const want = oracle(size, shard, range, flip);
          const got = vf(`${HUB}f.bin`, range ? { headers: { range: `bytes=${range.a}-${range.b}` } } : {});
          if (want.status === 'mismatch') {
            await expect(got).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
            return;
          }
          const res = await got;
          expect(res.status).toBe(want.status);
          if (want.status === 416) return;
          const body = new Uint8Array(await res.arrayBuffer());
          expect(body).toEqual(file.slice(want.start, want.end + 1));
          expect(res.headers.get('content-length')).toBe(String(body.length));
          if (want.status === 206) expect(res.headers.get('content-range')).toBe(`bytes ${want.start}-${want.end}/${size}`);
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
