/** core's base64 encoder against Node's (an independent implementation), over every tail length and random data. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64AsciiEquals, base64Length, fromBase64, fromBase64Ascii, toBase64, toBase64Into } from '../../core/util/bytes.js';

describe('toBase64', () => {
  it('equals Buffer base64 for lengths 0–300 and random sizes up to 3 MiB, and round-trips through fromBase64', () => {
    const sizes = [...Array.from({ length: 301 }, (_, i) => i), ...Array.from({ length: 20 }, () => Math.floor(Math.random() * 3 * 1024 * 1024))];
    for (const n of sizes) {
      const b = new Uint8Array(randomBytes(n));
      const ours = toBase64(b);
      expect(ours, `length ${n}`).toBe(Buffer.from(b).toString('base64'));
      expect(Buffer.from(fromBase64(ours, 'x')).equals(Buffer.from(b)), `round trip ${n}`).toBe(true);
    }
  });
  it('all byte values in every position of a 3-byte group', () => {
    for (let v = 0; v < 256; v++) {
      for (const b of [[v], [v, 255 - v], [v, 0, 255 - v], [255, v, 0]]) expect(toBase64(new Uint8Array(b))).toBe(Buffer.from(b).toString('base64'));
    }
  });
});

// Text of 2^18 characters or more (196,608 bytes) goes through the pair tables, shorter text a character at a time.
describe('base64 as bytes at any offset (the signature file: the payload sits anywhere in it)', () => {
  it('writes, reads and compares like Buffer on either side of the 64 KiB scratch steps, at every alignment', () => {
    for (const n of [0, 1, 2, 3, 49_151, 49_152, 49_153, 98_305, 196_607, 196_608, 196_609, 400_001]) {
      const b = new Uint8Array(randomBytes(n));
      const want = Buffer.from(Buffer.from(b).toString('base64'), 'latin1');
      for (const at of [0, 1, 2, 3, 5]) {
        const out = new Uint8Array(at + base64Length(n) + 3).fill(0x21);
        toBase64Into(b, out, at);
        expect(Buffer.from(out.subarray(at, at + want.length)).equals(want), `encode ${n} at ${at}`).toBe(true);
        expect(
          [...out.subarray(0, at), ...out.subarray(at + want.length)].every((x) => x === 0x21),
          `encode ${n} at ${at} stays inside`,
        ).toBe(true);
        const src = out.subarray(at, at + want.length);
        expect(Buffer.from(fromBase64Ascii(src, 'x')).equals(Buffer.from(b)), `decode ${n} at ${at}`).toBe(true);
        expect(base64AsciiEquals(src, b), `equal ${n} at ${at}`).toBe(true);
      }
    }
  });
  it.each([150_000, 400_000])('refuses a bad character and tells a changed byte anywhere, in every unit of a pair (%i bytes)', (size) => {
    const b = new Uint8Array(randomBytes(size));
    const text = new Uint8Array(Buffer.from(Buffer.from(b).toString('base64'), 'latin1'));
    for (const i of [0, 1, 2, 3, 65_535, 65_536, 65_537, 65_538, 131_071, 131_072, 262_143, 262_144, text.length - 5, text.length - 1].filter(
      (i) => i < text.length,
    )) {
      // ('=' last is padding, and valid.)
      for (const bad of i === text.length - 1 ? [0x2e, 0x00, 0xe9, 0x80] : [0x3d, 0x2e, 0x00, 0xe9, 0x80]) {
        const t = text.slice();
        t[i] = bad;
        expect(() => fromBase64Ascii(t, 'x'), `byte ${bad} at ${i}`).toThrow(/not valid base64/);
        expect(base64AsciiEquals(t, b), `byte ${bad} at ${i}`).toBe(false);
      }
    }
    for (const i of [0, 49_151, 49_152, 98_303, 196_607, 196_608, b.length - 2, b.length - 1].filter((i) => i < b.length)) {
      const c = b.slice();
      c[i]! ^= 0x80;
      expect(base64AsciiEquals(text, c), `changed byte ${i}`).toBe(false);
    }
  });
});
