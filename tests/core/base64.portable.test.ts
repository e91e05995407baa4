/**
 * core's base64 decoder against a plainly written oracle (alphabet check by regex, then web-standard atob), in
 * Node, Chromium and workerd alike: the same inputs accepted, the same bytes out, every refusal a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelVerifyError } from '../../core/errors.js';
import { fromBase64, toBase64, toHex } from '../../core/util/bytes.js';

/** The decoder's contract, written the obvious way: ≤ 2 trailing '=', both alphabets, no stray characters. */
function oracle(s: string): Uint8Array | null {
  let body = s;
  for (let k = 0; k < 2 && body.endsWith('='); k++) body = body.slice(0, -1);
  if (!/^[A-Za-z0-9+/_-]*$/.test(body) || body.length % 4 === 1) return null;
  const std = body.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function ours(s: string): Uint8Array | null {
  try {
    return fromBase64(s, 'x');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelVerifyError);
    expect((e as ModelVerifyError).code).toBe('BUNDLE_MALFORMED');
    return null;
  }
}

const chars = fc.constantFrom(...'ABCXYZabxyz0189+/-_=', ' ', '\n', '.', '\u00e9', '\u0100', '\u012b', '\ud83d', '\uffff', '\u0000');
const encoded = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean()).map(([b, urlSafe, unpadded]) => {
  let s = toBase64(b);
  if (urlSafe) s = s.replace(/\+/g, '-').replace(/\//g, '_');
  return unpadded ? s.replace(/=+$/, '') : s;
});

describe('fromBase64', () => {
  it('accepts and decodes exactly what the oracle does, on arbitrary strings and on real encodings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 40 }), encoded), (s) => {
        expect(ours(s)).toEqual(oracle(s));
      }),
      { numRuns: 3000 },
    );
  });
  it('round-trips toBase64 for every length 0–300', () => {
    for (let n = 0; n <= 300; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(fromBase64(toBase64(b), 'x')).toEqual(b);
    }
  });
  it('decodes and refuses alike across the 64 KiB steps it copies the text in', () => {
    const bytes = Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7919) & 0xff);
    const text = toBase64(bytes);
    expect(fromBase64(text, 'x')).toEqual(bytes);
    expect(fromBase64(text.replace(/=+$/, ''), 'x')).toEqual(bytes);
    for (const at of [0, 65_535, 65_536, 65_537, 131_071, 131_072, text.length - 3]) {
      for (const bad of [' ', '\u00e9', '\ud83d', '.']) {
        const s = text.slice(0, at) + bad + text.slice(at + 1);
        expect(ours(s), `${JSON.stringify(bad)} at ${at}`).toEqual(oracle(s));
      }
    }
  });
  it('refuses a non-string, a lone trailing character, whitespace and more than two "="', () => {
    for (const bad of [42, null, 'QUJDR', 'QUJD\n', 'QQ===', ' QQ==', 'QQ=A']) expect(ours(bad as string)).toBeNull();
  });
});

describe('toHex', () => {
  it('is the plain per-byte hex, below and above its scratch size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(toHex(b)).toBe(Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
      }),
      { numRuns: 500 },
    );
  });
});
