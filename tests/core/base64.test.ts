/** core's base64 encoder against Node's (an independent implementation), over every tail length and random data. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../core/util/bytes.js';

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
