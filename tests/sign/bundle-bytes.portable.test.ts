/**
 * The signer writes the payload's base64 straight into the bundle's bytes: they must be exactly the plain
 * serialization (JSON.stringify of the same document, UTF-8), whatever the payload's length modulo 3.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { MemorySource } from '../../core/sources/index.js';
import { toBase64, utf8Decode } from '../../core/util/bytes.js';

beforeAll(async () => {
  // workerd refuses runtime wasm compilation: use its statically imported hashers, as the Worker does.
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('bundle bytes', () => {
  it('are JSON.stringify of the bundle, the payload in standard base64, for payloads of every length mod 3', async () => {
    const signer = keySigner((await generateSigningKey('P-256')).signingKey);
    const lengths = new Set<number>();
    for (const name of ['m', 'mm', 'mmm']) {
      const { bundle, payload } = await signModel(new MemorySource(name, { 'a.bin': 'aaa', 'dir/é.bin': 'b'.repeat(1001) }), signer);
      lengths.add(payload.length % 3);
      // The statement escapes non-ASCII as Python's ensure_ascii does: 'é' is \u00e9, every byte ASCII.
      expect(payload.every((b) => b < 0x80)).toBe(true);
      expect(utf8Decode(payload, 'payload')).toContain('dir/\\u00e9.bin');
      const text = utf8Decode(bundle, 'bundle');
      const doc = JSON.parse(text) as { dsseEnvelope: { payload: string } };
      expect(doc.dsseEnvelope.payload).toBe(toBase64(payload));
      expect(text).toBe(JSON.stringify(doc));
    }
    expect(lengths.size).toBe(3);
  });
});
