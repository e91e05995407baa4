/**
 * RSA and Ed25519 key signatures in every runtime (Node, headless Chromium, workerd): each scheme the verifier
 * accepts (core/crypto/key-signature.ts) is signed and verified here, the foreign ones (pure Ed25519, PSS with the
 * hash-length salt) with this runtime's WebCrypto directly rather than our signer. Node's independent cross-check
 * with node:crypto and openssl-made keys is tests/sign/key-types.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyWithKey } from '../../core/crypto/key-signature.js';
import { parseSpki } from '../../core/crypto/keys.js';
import { encodePem } from '../../core/crypto/pem.js';
import { pae } from '../../core/bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../core/bundle/types.js';
import { externalSigningKey, readPrivateKey } from '../../core/sign/private-key.js';
import { signModel } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { ab, fromBase64 } from '../../core/util/bytes.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import rsaPem from './keys/rsa-pkcs8.pem?raw';
import rsa1024Pem from './keys/rsa1024-pkcs8.pem?raw';
import edPem from './keys/ed25519-pkcs8.pem?raw';
import p256Pem from './keys/p256-sec1.pem?raw';

const files = () => ({ 'config.json': '{"layers":2}', 'weights/a.bin': new Uint8Array(500).map((_, i) => i), 'weights/b.bin': 'bbb' });
const model = () => new MemorySource('m', files());
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const sigOf = (b: Uint8Array) => fromBase64(decode(b).dsseEnvelope.signatures[0].sig, 'sig');
const paeOf = (b: Uint8Array) => pae(IN_TOTO_PAYLOAD_TYPE, fromBase64(decode(b).dsseEnvelope.payload, 'payload'));
const pemBody = (pem: string) => ab(fromBase64(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'pem'));
const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => Number.parseInt(h, 16)));

beforeAll(async () => {
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('RSA and Ed25519 key signatures in this runtime', () => {
  for (const rsaPadding of ['pkcs1v15', 'pss'] as const) {
    it(`RSA 2048 ${rsaPadding}: signs, verifies; tampering and a wrong key fail with typed codes`, async () => {
      const sk = await readPrivateKey(rsaPem, { rsaPadding });
      const publicKey = encodePem('PUBLIC KEY', sk.spki);
      const res = await signModel(model(), keySigner(sk));
      const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey });
      expect(report.errors).toEqual([]);
      expect(report.verified).toBe(true);
      expect(await verifyWithKey(parseSpki(sk.spki), sigOf(res.bundle), paeOf(res.bundle))).toBe(
        rsaPadding === 'pss' ? 'rsa-pss-sha256' : 'rsa-pkcs1v15-sha256',
      );
      const tampered = new MemorySource('m', { ...files(), 'weights/b.bin': 'bbc' });
      expect((await verifyModel(tampered, res.bundle, { method: 'key', publicKey })).errors[0]?.code).toBe('HASH_MISMATCH');
      const other = encodePem('PUBLIC KEY', (await readPrivateKey(p256Pem)).spki);
      expect((await verifyModel(model(), res.bundle, { method: 'key', publicKey: other })).errors[0]?.code).toBe('KEY_MISMATCH');
    });
  }

  it('RSA-PSS with the hash-length salt, signed by WebCrypto directly, verifies', async () => {
    const alg = { name: 'RSA-PSS', hash: 'SHA-256' };
    const priv = await crypto.subtle.importKey('pkcs8', pemBody(rsaPem), alg, false, ['sign']);
    const spki = (await readPrivateKey(rsaPem)).spki;
    const sign = async (d: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, priv, d as Uint8Array<ArrayBuffer>));
    const res = await signModel(model(), keySigner(externalSigningKey(spki, sign)));
    const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: encodePem('PUBLIC KEY', spki) });
    expect(report.errors).toEqual([]);
  });

  it('Ed25519: our signer writes Ed25519ph; it verifies; a tampered signature does not', async () => {
    const sk = await readPrivateKey(edPem);
    expect(sk.algorithm).toEqual({ kind: 'ed25519' });
    const publicKey = encodePem('PUBLIC KEY', sk.spki);
    const res = await signModel(model(), keySigner(sk));
    expect((await verifyModel(model(), res.bundle, { method: 'key', publicKey })).errors).toEqual([]);
    expect(await verifyWithKey(parseSpki(sk.spki), sigOf(res.bundle), paeOf(res.bundle))).toBe('ed25519ph');
    const b = decode(res.bundle);
    const sig = sigOf(res.bundle);
    sig[10]! ^= 1;
    b.dsseEnvelope.signatures[0].sig = btoa(String.fromCharCode(...sig));
    const bad = await verifyModel(model(), new TextEncoder().encode(JSON.stringify(b)), { method: 'key', publicKey });
    expect(bad.errors[0]?.code).toBe('SIGNATURE_INVALID');
  });

  it("pure Ed25519 signed by this runtime's WebCrypto verifies (where the runtime has Ed25519)", async () => {
    let priv: CryptoKey;
    try {
      priv = await crypto.subtle.importKey('pkcs8', pemBody(edPem), { name: 'Ed25519' }, false, ['sign']);
    } catch {
      return; // no WebCrypto Ed25519 here: the verifier falls back to @noble/curves, covered by the vector below
    }
    const spki = (await readPrivateKey(edPem)).spki;
    const sign = async (d: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, priv, d as Uint8Array<ArrayBuffer>));
    const res = await signModel(model(), keySigner(externalSigningKey(spki, sign)));
    expect((await verifyModel(model(), res.bundle, { method: 'key', publicKey: encodePem('PUBLIC KEY', spki) })).errors).toEqual([]);
    expect(await verifyWithKey(parseSpki(spki), sigOf(res.bundle), paeOf(res.bundle))).toBe('ed25519');
  });

  it('Ed25519ph matches RFC 8032 §7.3', async () => {
    const spki = hex('302a300506032b6570032100ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf');
    const sig = hex('98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406');
    expect(await verifyWithKey(parseSpki(spki), sig, new TextEncoder().encode('abc'))).toBe('ed25519ph');
    expect(await verifyWithKey(parseSpki(spki), sig, new TextEncoder().encode('abd'))).toBe(null);
  });

  it('RSA keys below 2048 bits are refused (KEY_UNSUPPORTED), for signing and as the verifier key', async () => {
    await expect(readPrivateKey(rsa1024Pem)).rejects.toMatchObject({ code: 'KEY_UNSUPPORTED' });
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const k = await crypto.subtle.importKey('pkcs8', pemBody(rsa1024Pem), alg, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', k);
    const pub = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n!, e: jwk.e!, ext: true }, alg, true, ['verify']);
    const small = encodePem('PUBLIC KEY', new Uint8Array(await crypto.subtle.exportKey('spki', pub)));
    const res = await signModel(model(), keySigner(await readPrivateKey(rsaPem)));
    expect((await verifyModel(model(), res.bundle, { method: 'key', publicKey: small })).errors[0]?.code).toBe('KEY_UNSUPPORTED');
  });
});
