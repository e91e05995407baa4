/**
 * The manifest's path order and its digest comparison against plainly written oracles: paths split into
 * components and compared by code point (Array.from iterates code points), and compareManifests fed hex strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareManifests, type ActualResource } from '../../core/manifest/compare.js';
import { comparePaths } from '../../core/manifest/order.js';
import type { Resource } from '../../core/manifest/types.js';
import { toHex } from '../../core/util/bytes.js';

function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
function oracle(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = byCodePoint(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

// Normalized paths: non-empty components over units that stress the order ('/'-adjacent ASCII, BMP, astral).
const component = fc.string({
  unit: fc.constantFrom('a', 'b', '-', '.', '0', '\u0000', '\u00e9', '\uffff', '\ud83d\ude00', '\ud800\udc00'),
  minLength: 1,
  maxLength: 4,
});
const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => cs.join('/'));

describe('comparePaths', () => {
  it('orders like the component-list comparison by code point', () => {
    fc.assert(
      fc.property(path, path, (a, b) => {
        expect(Math.sign(comparePaths(a, b))).toBe(Math.sign(oracle(a, b)));
      }),
      { numRuns: 5000 },
    );
  });
  it('a/b sorts before a-c and a.b, and a before a/b', () => {
    expect(['a-c', 'a/b', 'a', 'a.b'].sort(comparePaths)).toEqual(['a', 'a/b', 'a-c', 'a.b']);
  });
});

describe('compareManifests with raw digests', () => {
  it('gives the same results and errors as with hex digests', () => {
    const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd/e', 'f'), digest, fc.constantFrom('same', 'other', 'absent')), { maxLength: 8 }),
        (rows) => {
          const expected: Resource[] = [];
          const hex = new Map<string, ActualResource>();
          const raw = new Map<string, ActualResource>();
          const seen = new Set<string>();
          for (const [name, d, what] of rows) {
            if (seen.has(name)) continue;
            seen.add(name);
            if (what !== 'absent' || name !== 'f') expected.push({ id: name, path: name, algorithm: 'sha256', digest: toHex(d) });
            if (what === 'absent') continue;
            const got = what === 'same' ? d : d.map((x) => x ^ 1);
            hex.set(name, { path: name, algorithm: 'sha256', digest: toHex(got), bytes: 1 });
            raw.set(name, { path: name, algorithm: 'sha256', digest: got, bytes: 1 });
          }
          raw.set('extra', { path: 'extra', algorithm: 'sha256', digest: new Uint8Array(32), bytes: 1 });
          hex.set('extra', { path: 'extra', algorithm: 'sha256', digest: toHex(new Uint8Array(32)), bytes: 1 });
          expect(compareManifests('m', expected, raw, false)).toEqual(compareManifests('m', expected, hex, false));
        },
      ),
      { numRuns: 500 },
    );
  });
});
