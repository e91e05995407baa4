/** IgnoreSet.has against the plain rule (the path, or any of its component-wise ancestors, is in the set), small and large sets. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IgnoreSet } from '../../core/serialize/ignore.js';

const component = fc.constantFrom('a', 'b', 'ab', '.git', 'a.b', 'é');
const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => cs.join('/'));

function oracle(set: readonly string[], p: string): boolean {
  if (set.includes('.')) return true;
  const parts = p.split('/');
  for (let i = 1; i <= parts.length; i++) if (set.includes(parts.slice(0, i).join('/'))) return true;
  return false;
}

describe('IgnoreSet.has', () => {
  it('matches a path or its ancestors, never a sibling sharing a prefix (sets of 0–40 paths)', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 40 }), fc.array(path, { minLength: 1, maxLength: 20 }), (ignored, probes) => {
        const set = new IgnoreSet(ignored);
        for (const p of probes) expect(set.has(p), `${p} in ${JSON.stringify(ignored)}`).toBe(oracle(ignored, p));
        set.add('.');
        expect(set.has(probes[0]!)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
