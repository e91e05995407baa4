/**
 * The signing core in every runtime (Node, headless Chromium, workerd): key, certificate and keyless signing of
 * an in-memory model, each result accepted by our verifier. Keyless runs against the in-process test stack
 * (its `fetch`), exactly the client code path a browser Sign page uses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../core/sources/memory-source.js';
import { encodePem } from '../../core/crypto/pem.js';
import { generateSigningKey } from '../../core/sign/generate.js';
import { keylessSigner, servicesFromConfig } from '../../core/sign/keyless/index.js';
import { readPrivateKey } from '../../core/sign/private-key.js';
import { buildModelPayload, signModel, signPayload } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { certificateSigner } from '../../core/sign/x509/index.js';
import { verifyModel, verifySignature } from '../../core/verify/verify-model.js';
import scryptKey from './keys/p256-scrypt.pem?raw';
import refKey from '../fixtures/model-transparency/scripts/tests/keys/certificate/signing-key.pem?raw';
import refCert from '../fixtures/model-transparency/scripts/tests/keys/certificate/signing-key-cert.pem?raw';
import intCert from '../fixtures/model-transparency/scripts/tests/keys/certificate/int-ca-cert.pem?raw';
import caCert from '../fixtures/model-transparency/scripts/tests/keys/certificate/ca-cert.pem?raw';
import { corsChecked } from './stack/cors.js';
import { createStack } from './stack/stack.js';

const files = () => ({ 'config.json': '{"layers":2}', 'weights/a.bin': new Uint8Array(300).map((_, i) => i), 'weights/b.bin': 'bbb', '.git/HEAD': 'ref' });
const model = () => new MemorySource('memory-model', files());
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

beforeAll(async () => {
  // workerd refuses runtime wasm compilation: use its statically imported hashers, as the Worker does.
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('signing in this runtime', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    it(`generated ${curve} key: sign, verify, and tampering is caught`, async () => {
      const g = await generateSigningKey(curve);
      const res = await signModel(model(), keySigner(g.signingKey), { shardSize: 128 });
      const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: g.publicKeyPem });
      expect(report.errors).toEqual([]);
      expect(report.verified).toBe(true);
      const st = JSON.parse(new TextDecoder().decode(res.payload));
      expect(st.predicate.resources.map((r: { name: string }) => r.name)).toEqual([
        'config.json:0:12',
        'weights/a.bin:0:128',
        'weights/a.bin:128:256',
        'weights/a.bin:256:300',
        'weights/b.bin:0:3',
      ]);
      const tampered = new MemorySource('memory-model', { ...files(), 'weights/b.bin': 'bbc' });
      expect((await verifyModel(tampered, res.bundle, { method: 'key', publicKey: g.publicKeyPem })).verified).toBe(false);
    });
  }

  it('same model, same options → byte-identical payload', async () => {
    const a = await buildModelPayload(model(), { hashType: 'blake2b' });
    const b = await buildModelPayload(model(), { hashType: 'blake2b' });
    expect(a.payload).toEqual(b.payload);
  });

  it('an scrypt-encrypted PKCS#8 key (openssl pkcs8 -scrypt) signs', async () => {
    const k = await readPrivateKey(scryptKey, { password: 'correct-horse' });
    const res = await signModel(model(), keySigner(k));
    await expect(verifySignature(res.bundle, { method: 'key', publicKey: encodePem('PUBLIC KEY', k.spki) })).resolves.toBeTruthy();
  });

  it('the reference certificate chain signs; the bundle verifies against ca-cert.pem', async () => {
    const k = await readPrivateKey(refKey);
    const res = await signModel(model(), certificateSigner(k, refCert, [intCert]));
    expect(decode(res.bundle).verificationMaterial.x509CertificateChain.certificates).toHaveLength(2);
    const report = await verifyModel(model(), res.bundle, { method: 'certificate', anchors: [caCert] });
    expect(report.errors).toEqual([]);
  });

  it("keyless: Fulcio, Rekor and TSA of the test stack; our verifier accepts it with the stack's trusted root", async () => {
    const stack = await createStack();
    const built = await buildModelPayload(model());
    const seen: string[] = [];
    const signer = await keylessSigner({
      identityToken: await stack.oidc.mint(),
      services: servicesFromConfig(stack.clientTrustConfig),
      trustedRoot: stack.trustedRoot,
      fetch: corsChecked(stack.fetch, seen),
    });
    const bundle = await signPayload(built.payload, signer);
    expect(stack.log).toEqual(['POST /fulcio/api/v2/signingCert', 'POST /rekor/api/v1/log/entries', 'POST /tsa/api/v1/timestamp']);
    expect(seen).toEqual(stack.log); // every request passed the CORS rules of the public services
    const report = await verifyModel(
      model(),
      bundle,
      { method: 'sigstore', identity: 'signer@example.com', issuer: stack.oidc.url },
      { trustedRoot: stack.trustedRoot },
    );
    expect(report.errors).toEqual([]);
    expect(report.verified).toBe(true);
  });
});
