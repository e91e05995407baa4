/**
 * parseJson's scanner against a plainly written oracle: documents built from trees whose objects may repeat a key
 * (also spelled with an escape), with arbitrary whitespace; refused as BUNDLE_AMBIGUOUS exactly when some object
 * has two equal keys, as too deep exactly past MAX_JSON_DEPTH, and otherwise parsed as JSON.parse does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelVerifyError } from '../../core/errors.js';
import { MAX_JSON_DEPTH, parseJson } from '../../core/util/json.js';

type Tree = { leaf: unknown } | { arr: Tree[] } | { obj: [string, Tree][] };
/** Keys as written in the text, and what they decode to. */
const KEYS: [string, string][] = [
  ['"a"', 'a'],
  ['"\\u0061"', 'a'],
  ['"b"', 'b'],
  ['"a\\"b"', 'a"b'],
  ['"\\\\"', '\\'],
  ['"é"', 'é'],
  ['"{[,:]}"', '{[,:]}'],
];
const ws = fc.constantFrom('', ' ', '\n  ', '\t');
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.constantFrom(true, false, null, 'x', 's"t', '\\', '[{', 1.5e3)).map((leaf) => ({ leaf })),
    fc.array(tie('tree'), { maxLength: 3 }).map((arr) => ({ arr })),
    fc.array(fc.tuple(fc.integer({ min: 0, max: KEYS.length - 1 }).map(String), tie('tree')), { maxLength: 3 }).map((obj) => ({ obj })),
  ),
}));

function write(t: Tree, pad: string): string {
  if ('leaf' in t) return JSON.stringify(t.leaf);
  if ('arr' in t) return `[${pad}${t.arr.map((x) => write(x, pad)).join(`,${pad}`)}${pad}]`;
  return `{${pad}${t.obj.map(([k, v]) => `${KEYS[Number(k)]![0]}${pad}:${pad}${write(v, pad)}`).join(`,${pad}`)}${pad}}`;
}
function duplicate(t: Tree): boolean {
  if ('leaf' in t) return false;
  if ('arr' in t) return t.arr.some(duplicate);
  const names = t.obj.map(([k]) => KEYS[Number(k)]![1]);
  return new Set(names).size !== names.length || t.obj.some(([, v]) => duplicate(v));
}

function outcome(text: string): string {
  try {
    return `ok ${JSON.stringify(parseJson(text, 'doc'))}`;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelVerifyError);
    const err = e as ModelVerifyError;
    return err.code === 'BUNDLE_AMBIGUOUS' ? 'ambiguous' : /nested more than/.test(err.message) ? 'deep' : `other ${err.code}`;
  }
}

describe('parseJson scanner', () => {
  it('refuses exactly the documents with a repeated key, parses the rest as JSON.parse', () => {
    fc.assert(
      fc.property(tree, ws, (t, pad) => {
        const text = write(t, pad);
        expect(outcome(text), text).toBe(duplicate(t) ? 'ambiguous' : `ok ${JSON.stringify(JSON.parse(text))}`);
      }),
      { numRuns: 3000 },
    );
  });
  it('refuses nesting past the limit, wherever it is', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_JSON_DEPTH - 2, max: MAX_JSON_DEPTH + 2 }), fc.boolean(), (n, objects) => {
        const text = objects ? '{"k":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1) : '['.repeat(n) + ']'.repeat(n);
        expect(outcome(text)).toBe(n > MAX_JSON_DEPTH ? 'deep' : `ok ${JSON.stringify(JSON.parse(text))}`);
      }),
    );
  });
});
