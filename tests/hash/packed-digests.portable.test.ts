/** PackedDigests and JobPositions against a plain Map of digests by id (the answer every backend gave before). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobPositions, PackedDigests } from '../../core/hash/digests.js';
import type { HashJob } from '../../core/serialize/plan.js';

const job = (id: string): HashJob => ({ id, path: id, start: 0, end: id.length, hash: 'sha256' });
const digestOf = (k: number, w: number) => Uint8Array.from({ length: w }, (_, i) => (k * 31 + i * 7) & 255);

/** Distinct ids, batches that cover some of them (any order), and lookups by ids present or not. */
const scenario = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 0, maxLength: 40 }).chain((ids) =>
  fc.record({
    ids: fc.constant(ids),
    batches: fc.array(fc.tuple(fc.nat(Math.max(0, ids.length - 1)), fc.integer({ min: 1, max: 5 })), { maxLength: 12 }),
    width: fc.constantFrom(32, 64),
    odd: fc.boolean(),
    byId: fc.subarray(ids),
    asks: fc.array(fc.oneof(fc.constantFrom(...(ids.length ? ids : ['x'])), fc.string({ maxLength: 4 })), { maxLength: 60 }),
    sorted: fc.boolean(),
  }),
);

describe('PackedDigests', () => {
  it('answers get, size and iteration exactly as a Map of the same digests', () => {
    fc.assert(
      fc.property(scenario, ({ ids, batches, width, odd, byId, asks, sorted }) => {
        const jobs = ids.map(job);
        const packed = new PackedDigests(jobs);
        const oracle = new Map<string, Uint8Array>();
        let oddSeen = false;
        for (const [at, len] of batches) {
          const n = Math.min(len, jobs.length - at);
          if (n <= 0) continue;
          // An odd batch has another width than the first one: kept apart, still answered.
          const w = odd && oracle.size > 0 ? 20 : width;
          if (w === 20) oddSeen = true;
          const bytes = new Uint8Array(n * w);
          for (let k = 0; k < n; k++) {
            const d = digestOf(at + k, w);
            bytes.set(d, k * w);
            oracle.set(jobs[at + k]!.id, d);
          }
          packed.put(at, n, bytes);
        }
        // Digests given by id (streamed jobs) for jobs not answered in a batch.
        let viaSet = false;
        for (const id of byId) {
          if (oracle.has(id)) continue;
          viaSet = true;
          const d = digestOf(999, width);
          packed.set(id, d);
          oracle.set(id, d);
        }
        expect(packed.size).toBe(oracle.size);
        const order = sorted ? [...ids].sort() : asks;
        for (const id of [...order, ...asks, ...ids]) expect(packed.get(id)).toEqual(oracle.get(id));
        // copyInto: the same digest copied where asked (nothing else touched), its length, or 0 for none.
        for (const id of [...order, ...asks]) {
          const want = oracle.get(id);
          expect(packed.copyInto(id, undefined, 0)).toBe(want?.length ?? 0);
          const out = new Uint8Array(80).fill(0xee);
          expect(packed.copyInto(id, out, 3)).toBe(want?.length ?? 0);
          const expected = new Uint8Array(80).fill(0xee);
          if (want) expected.set(want, 3);
          expect(out).toEqual(expected);
        }
        // copyAllInto: everything in list order in one go, only when every job of this very list has its digest
        // of one width; otherwise it declines and leaves the copying to get/copyInto.
        const w0 = jobs.length ? (oracle.get(jobs[0]!.id)?.length ?? width) : width;
        const all = new Uint8Array(jobs.length * w0);
        const complete = jobs.every((j) => oracle.get(j.id)?.length === w0) && packed.size === jobs.length;
        const took = packed.copyAllInto(jobs, all);
        if (took) expect(all).toEqual(Uint8Array.from(jobs.flatMap((j) => [...oracle.get(j.id)!])));
        if (!complete) expect(took).toBe(false);
        else if (complete && !viaSet && !oddSeen) expect(took).toBe(true);
        expect(packed.copyAllInto([...jobs], all)).toBe(false);
        const seen = new Map([...packed]);
        expect(seen.size).toBe(oracle.size);
        for (const [id, d] of oracle) expect(seen.get(id)).toEqual(d);
      }),
      { numRuns: 300 },
    );
  });
});

describe('PackedDigests over many jobs', () => {
  it('keeps batches that cross its pages, put in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 20 }), fc.boolean(), (sizes, reversed) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const jobs = Array.from({ length: total }, (_, i) => job(`f${i}`));
        const packed = new PackedDigests(jobs);
        const batches: [number, number][] = [];
        let at = 0;
        for (const n of sizes) batches.push([at, n]), (at += n);
        for (const [from, n] of reversed ? batches.reverse() : batches) {
          const bytes = new Uint8Array(n * 32);
          for (let k = 0; k < n; k++) bytes.set(digestOf(from + k, 32), k * 32);
          packed.put(from, n, bytes);
        }
        expect(packed.size).toBe(total);
        for (let k = 0; k < total; k += 97) expect(packed.get(`f${k}`)).toEqual(digestOf(k, 32));
        expect(packed.get(`f${total - 1}`)).toEqual(digestOf(total - 1, 32));
        let k = 0;
        for (const [id, d] of packed) {
          expect(id).toBe(`f${k}`);
          expect(d).toEqual(digestOf(k++, 32));
        }
        expect(k).toBe(total);
      }),
      { numRuns: 40 },
    );
  });
});

describe('JobPositions', () => {
  it('finds every job by id in any order of lookups, and nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 3 }), { maxLength: 30 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }), (ids, asks) => {
        const jobs = ids.map(job);
        const p = new JobPositions(jobs);
        for (const id of [...ids, ...asks, ...ids.slice().reverse(), ...ids]) {
          const k = p.find(id);
          expect(k).toBe(ids.includes(id) ? ids.indexOf(id) : undefined);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sees jobs added to the list after the first lookups', () => {
    const jobs: HashJob[] = [job('a'), job('b')];
    const p = new JobPositions(jobs);
    expect(p.find('b')).toBe(1);
    expect(p.find('c')).toBeUndefined();
    jobs.push(job('c'));
    expect(p.find('c')).toBe(2);
    expect(p.find('a')).toBe(0);
  });
});
