/**
 * parseJsonChunked (a statement's resources parsed a chunk at a time) against JSON.parse of the whole text: whenever
 * it gives a reading, the text is JSON and that reading is exactly JSON.parse's (the document with the array emptied,
 * plus the elements in order); whenever the text is not JSON, it gives none (the caller then reads plainly). Documents
 * are built with elements of every kind, odd whitespace and strings full of brackets, commas and escapes, then
 * corrupted at random places.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonChunked } from '../../core/util/json.js';

const value = fc.oneof(
  fc.constantFrom('1', 'true', 'null', '"a"', '"]"', '","', '"\\"]"', '"\\\\"', '{}', '[]', '[1,[2]]', '{"k":[","]}', '{"name":"x","digest":"ab"}'),
  fc.json({ maxDepth: 2 }),
);
const ws = fc.constantFrom('', ' ', '\n', '\t ');
const edit = fc.record({ at: fc.nat(), what: fc.constantFrom('', ',', ']', '[', '"', '\\', '{', '}', ' ', 'x', ':') });

function doc(elems: string[], w: string, extra: string): string {
  return `{${w}"a":${w}${extra},"predicate":${w}{"x":[1,2],${w}"resources"${w}:${w}[${w}${elems.join(`${w},${w}`)}${w}]${w}},"z":"[,]"}`;
}

function chunked(text: string): { value: unknown } | undefined {
  const items: unknown[] = [];
  const r = parseJsonChunked(text, 'x', 'STATEMENT_TYPE', {}, ['predicate', 'resources'], (i, v) => {
    items[i] = v;
  });
  if (!r) return undefined;
  const outer = r.outer as { predicate: { resources: unknown[] } };
  expect(items.length).toBe(r.count);
  outer.predicate.resources = items;
  return { value: outer };
}

function plain(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

describe('parseJsonChunked', () => {
  it('reads a document exactly as JSON.parse, or leaves it to the plain reading', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 7 }), ws, value, fc.array(edit, { maxLength: 2 }), (elems, w, extra, edits) => {
        let text = doc(elems, w, extra);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.what + text.slice(at + (e.what === '' ? 1 : 0));
        }
        const got = chunked(text);
        const want = plain(text);
        if (got) expect(got).toEqual(want); // a reading is always the true one
        if (!want) expect(got).toBeUndefined(); // and never of a text that is not JSON
        if (edits.length === 0) expect(got).toBeDefined(); // an intact document is read a chunk at a time
      }),
      { numRuns: 3000 },
    );
  });

  it('gives no reading when the array is closed by the other bracket (found by the property above)', () => {
    // `[ [ … ] }`: emptying the array would lift the mismatched `}` out with it and leave valid JSON.
    const text = '{"a":"]","predicate":{"x":[1,2],"resources":[ [null,[1,[2]],{" ":false},[]]}},"z":"[,]"}';
    expect(plain(text)).toBeUndefined();
    expect(chunked(text)).toBeUndefined();
    expect(chunked(text.replace(']}},', ']]},'))).toEqual(plain(text.replace(']}},', ']]},')));
  });

  it('parses large arrays a chunk at a time with the same elements', () => {
    const elems = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ name: `f${i}`, n: i }));
    const text = doc(elems, ' ', '0');
    expect(chunked(text)).toEqual(plain(text));
    expect(chunked(doc([], '', '0'))).toEqual(plain(doc([], '', '0')));
  });
});
