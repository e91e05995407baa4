/**
 * core/sign end to end: sign real models with P-256/P-384/P-521 keys, the reference's certificate chain and
 * self-signed certificates; our verifier and node:crypto (an independent ECDSA implementation) accept the
 * result; payloads match the reference's TestPayload vectors; re-signing gives byte-identical payloads.
 */
import { createPublicKey, generateKeyPairSync, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { NodeSource } from '../../node/source.js';
import { pae } from '../../core/bundle/dsse.js';
import { keyHint } from '../../core/crypto/keys.js';
import { readPrivateKey } from '../../core/sign/private-key.js';
import { buildModelPayload, signModel, type SignOptions } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { certificateSigner } from '../../core/sign/x509/index.js';
import type { Policy } from '../../core/policy/types.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { buildMixedModel, buildReferenceModels, GOLDENS, key, PAYLOADS, refKey, tempDir } from './helpers.js';

const CURVE_NODE = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;
const HASH_NODE = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' } as const;

let root: string;
let models: Record<string, string>;
beforeAll(() => {
  root = tempDir();
  models = buildReferenceModels(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function decode(bundle: Uint8Array) {
  const b = JSON.parse(new TextDecoder().decode(bundle));
  const payload = Buffer.from(b.dsseEnvelope.payload, 'base64');
  return { b, payload, statement: JSON.parse(payload.toString('utf8')), sig: Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64') };
}

/** Independent check with node:crypto (OpenSSL): DER ECDSA over PAE with the curve's hash. */
function nodeAccepts(bundle: Uint8Array, publicKeyPem: string, curve: keyof typeof HASH_NODE): boolean {
  const { payload, sig } = decode(bundle);
  return nodeVerify(HASH_NODE[curve], pae('application/vnd.in-toto+json', payload), publicKeyPem, sig);
}

async function verifyWithCore(modelPath: string, bundle: Uint8Array, policy: Policy, opts: { ignorePaths?: string[]; allowSymlinks?: boolean } = {}) {
  const source = await NodeSource.open(modelPath);
  return verifyModel(source, bundle, policy, { backend: new NodeCryptoBackend(), ...opts });
}

describe('payloads match the reference serializer vectors (TestPayload)', () => {
  const variants: { suffix: string; opts: SignOptions }[] = [
    { suffix: '', opts: {} },
    { suffix: '_shard', opts: { shardSize: 1_000_000_000 } },
    { suffix: '_small_shards', opts: { shardSize: 8 } },
  ];
  const fixtures = [
    'sample_model_folder',
    'deep_model_folder',
    'sample_model_file',
    'empty_model_file',
    'empty_model_folder',
    'model_folder_with_empty_file',
    'symlink_model_folder',
  ];
  for (const f of fixtures) {
    for (const v of variants) {
      it(`${f}${v.suffix}`, async () => {
        const golden = JSON.parse(readFileSync(path.join(PAYLOADS, f + v.suffix), 'utf8'));
        const source = await NodeSource.open(models[f]!);
        const run = buildModelPayload(source, { ...v.opts, allowSymlinks: true, backend: new NodeCryptoBackend() });
        if (golden.predicate.resources.length === 0) {
          // The reference signs empty models (resources: []); we refuse them.
          await expect(run).rejects.toMatchObject({ code: 'MODEL_EMPTY' });
          return;
        }
        const st = JSON.parse(new TextDecoder().decode((await run).payload));
        expect(st._type).toBe(golden._type);
        expect(st.predicateType).toBe(golden.predicateType);
        expect(st.subject).toEqual(golden.subject);
        expect(st.predicate.resources).toEqual(
          golden.predicate.resources.map((r: { name: string; algorithm: string; digest: string }) => ({
            name: r.name,
            algorithm: r.algorithm,
            digest: r.digest,
          })),
        );
        const { ignore_paths, ...ser } = st.predicate.serialization;
        expect(ser).toEqual(golden.predicate.serialization); // 1000000000 == 1000000000.0 after JSON.parse
        expect(Number.isInteger(ser.shard_size ?? 0)).toBe(true);
        expect(ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
      });
    }
  }

  it('reference ordering (path components, numeric offsets) and Python ensure_ascii escapes', async () => {
    const m = path.join(root, 'ordering');
    for (const f of ['a-c', 'a.b', 'a/b', 'a/B', 'a/ b', 'caf\u00e9', 'x.json', 'x/y']) {
      mkdirSync(path.dirname(path.join(m, f)), { recursive: true });
      writeFileSync(path.join(m, f), f.repeat(9));
    }
    const { payload } = await buildModelPayload(await NodeSource.open(m), { shardSize: 8 });
    const text = new TextDecoder().decode(payload);
    expect(text).toContain('"name": "caf\\u00e9:0:8"');
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
    const names = JSON.parse(text).predicate.resources.map((r: { name: string }) => r.name);
    const files = [...new Set(names.map((n: string) => n.split(':')[0]))];
    expect(files).toEqual(['a/ b', 'a/B', 'a/b', 'a-c', 'a.b', 'caf\u00e9', 'x/y', 'x.json']);
    expect(names.filter((n: string) => n.startsWith('a-c:'))).toEqual(['a-c:0:8', 'a-c:8:16', 'a-c:16:24', 'a-c:24:27']);
  });

  it('payload text is Python-style JSON with integer shard_size and ASCII escapes', async () => {
    const source = await NodeSource.open(models.sample_model_folder!);
    const { payload } = await buildModelPayload(source, { shardSize: 8 });
    const text = new TextDecoder().decode(payload);
    expect(text.startsWith('{\n  "_type": "https://in-toto.io/Statement/v1",\n  "subject": [\n')).toBe(true);
    expect(text).toContain('"shard_size": 8,');
    expect(text).not.toContain('8.0');
    expect(Object.keys(JSON.parse(text))).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
  });
});

describe('sign and verify', () => {
  const goldenModels = readdirSync(GOLDENS).filter((d) => /^v\d/.test(d));

  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    it(`${curve} key: every fixture model signs and verifies (ours and node:crypto)`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVE_NODE[curve] });
      const sk = await readPrivateKey(privateKey.export({ type: 'sec1', format: 'pem' }) as string);
      const pub = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const targets = [
        ...goldenModels.map((d) => path.join(GOLDENS, d)),
        path.join(GOLDENS, 'v1.0.1-elliptic-key/signme-1'),
        models.sample_model_folder!,
        models.deep_model_folder!,
        models.sample_model_file!,
      ];
      for (const t of targets) {
        const ignorePaths = ['model.sig', 'ignore-me'].filter((p) => existsSync(path.join(t, p)) || p === 'model.sig');
        const src = await NodeSource.open(t);
        const res = await signModel(src, keySigner(sk), { ignorePaths: src.isFile ? [] : ignorePaths, backend: new NodeCryptoBackend() });
        const { b, statement } = decode(res.bundle);
        expect(b.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
        expect(b.verificationMaterial).toEqual({
          publicKey: { hint: await keyHint(new Uint8Array(createPublicKey(pub).export({ type: 'spki', format: 'der' }))) },
          tlogEntries: [],
        });
        expect(b.dsseEnvelope.signatures[0].keyid).toBe('');
        expect(nodeAccepts(res.bundle, pub, curve), t).toBe(true);
        const report = await verifyWithCore(t, res.bundle, { method: 'key', publicKey: pub }, { ignorePaths: src.isFile ? [] : ['model.sig'] });
        expect(report.errors, t).toEqual([]);
        expect(report.verified).toBe(true);
        if (src.isFile) expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['.']);
        if (t.endsWith('-certificate') || t.endsWith('-key') || t.endsWith('-sigstore')) {
          expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual(
            readdirSync(t)
              .filter((n) => n.startsWith('signme-'))
              .sort(),
          );
          expect(statement.subject[0].name).toBe(path.basename(t));
          expect(statement.predicate.serialization.ignore_paths).toEqual(
            ['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig'].filter((p) => p !== 'ignore-me' || existsSync(path.join(t, p))),
          );
        }
      }
    });
  }

  it('reference root digests: signme-1/signme-2 models sign to 61d4849d…, the newline variant to 92745110…', async () => {
    const sk = await readPrivateKey(refKey('signing-key.pem'));
    const digest = async (d: string) => {
      const r = await signModel(await NodeSource.open(path.join(GOLDENS, d)), keySigner(sk), { ignorePaths: ['model.sig', 'ignore-me'] });
      return decode(r.bundle).statement.subject[0].digest.sha256;
    };
    expect(await digest('v1.1.0-certificate')).toBe('61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226');
    expect(await digest('v1.1.0-elliptic-key')).toBe('92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4');
    const single = await signModel(await NodeSource.open(path.join(GOLDENS, 'v1.0.0-elliptic-key/signme-1')), keySigner(sk));
    expect(decode(single.bundle).statement.subject[0]).toEqual({
      name: 'signme-1',
      digest: { sha256: 'afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b' },
    });
  });

  it('the reference certificate chain: signs with signing-key.pem + signing-key-cert.pem, chain int-ca-cert.pem, verifies with ca-cert.pem', async () => {
    const sk = await readPrivateKey(refKey('signing-key.pem'));
    const signer = certificateSigner(sk, refKey('signing-key-cert.pem'), [refKey('int-ca-cert.pem')]);
    for (const d of ['v1.1.0-certificate', 'v0.2.0-certificate', 'v1.0.1-elliptic-key']) {
      const t = path.join(GOLDENS, d);
      const res = await signModel(await NodeSource.open(t), signer, { ignorePaths: ['model.sig', 'ignore-me'] });
      const { b } = decode(res.bundle);
      const certs = b.verificationMaterial.x509CertificateChain.certificates.map(
        (c: { rawBytes: string }) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')),
      );
      expect(certs.map((c: X509Certificate) => c.fingerprint256)).toEqual([
        new X509Certificate(refKey('signing-key-cert.pem')).fingerprint256,
        new X509Certificate(refKey('int-ca-cert.pem')).fingerprint256,
      ]);
      expect(b.verificationMaterial.tlogEntries).toEqual([]);
      expect(nodeAccepts(res.bundle, certs[0].publicKey.export({ type: 'spki', format: 'pem' }) as string, 'P-384')).toBe(true);
      const report = await verifyWithCore(t, res.bundle, { method: 'certificate', anchors: [refKey('ca-cert.pem')] }, { ignorePaths: ['model.sig'] });
      expect(report.errors).toEqual([]);
      expect(report.signer).toMatchObject({
        method: 'certificate',
        chain: [{ subject: 'CN=intermediate-ca' }, { subject: 'CN=intermediate-ca' }, { subject: 'CN=root-ca' }],
      });
      // A different anchor must not verify it.
      const wrong = await verifyWithCore(t, res.bundle, { method: 'certificate', anchors: [key('p521-selfsigned-cert.pem')] }, { ignorePaths: ['model.sig'] });
      expect(wrong.verified).toBe(false);
    }
  });

  for (const [k, c, curve] of [
    ['p521-selfsigned-key.pem', 'p521-selfsigned-cert.pem', 'P-521'],
    ['p256-sec1.pem', 'p256-selfsigned-cert.pem', 'P-256'],
  ] as const) {
    it(`self-signed ${curve} certificate signs and verifies with itself as the anchor`, async () => {
      const sk = await readPrivateKey(key(k));
      const res = await signModel(await NodeSource.open(models.sample_model_folder!), certificateSigner(sk, key(c)));
      expect(decode(res.bundle).b.verificationMaterial.x509CertificateChain.certificates).toHaveLength(1);
      expect(nodeAccepts(res.bundle, new X509Certificate(key(c)).publicKey.export({ type: 'spki', format: 'pem' }) as string, curve)).toBe(true);
      const report = await verifyWithCore(models.sample_model_folder!, res.bundle, { method: 'certificate', anchors: [key(c)] });
      expect(report.errors).toEqual([]);
    });
  }

  it('sha256, blake2b and blake3, files and shards, all verify', async () => {
    const m = buildMixedModel(root);
    const sk = await readPrivateKey(key('p384-sec1.pem'));
    const pub = createPublicKey(key('p384-sec1.pem')).export({ type: 'spki', format: 'pem' }) as string;
    for (const hashType of ['sha256', 'blake2b', 'blake3'] as const) {
      for (const shardSize of [undefined, 100]) {
        const res = await signModel(await NodeSource.open(m), keySigner(sk), {
          hashType,
          ignorePaths: ['ignore-me'],
          backend: new NodeCryptoBackend(),
          ...(shardSize ? { shardSize } : {}),
        });
        const st = decode(res.bundle).statement;
        expect(st.predicate.serialization.hash_type).toBe(hashType);
        expect(st.predicate.resources[0].algorithm).toBe(shardSize ? `${hashType}-sharded-100` : hashType);
        expect(st.predicate.resources[0].digest).toHaveLength(hashType === 'blake2b' ? 128 : 64);
        const names = st.predicate.resources.map((r: { name: string }) => r.name.split(':')[0]);
        expect([...new Set(names)]).toEqual(['.hidden', 'config.json', 'weights/a.bin', 'weights/b.bin']);
        const report = await verifyWithCore(m, res.bundle, { method: 'key', publicKey: pub }, { ignorePaths: ['ignore-me'] });
        expect(report.errors, `${hashType} ${shardSize}`).toEqual([]);
      }
    }
  });

  it('same inputs → byte-identical payload (signatures differ: ECDSA is randomized)', async () => {
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    const m = buildMixedModel(tempDir());
    const a = await signModel(await NodeSource.open(m), keySigner(sk), { ignorePaths: ['ignore-me', 'model.sig'], shardSize: 64 });
    const b = await signModel(await NodeSource.open(m), keySigner(sk), {
      ignorePaths: ['model.sig', 'ignore-me'],
      shardSize: 64,
      backend: new NodeCryptoBackend(),
    });
    expect(Buffer.from(a.payload).equals(Buffer.from(b.payload))).toBe(true);
    expect(decode(a.bundle).b.dsseEnvelope.payload).toBe(decode(b.bundle).b.dsseEnvelope.payload);
  });
});

describe('refusals', () => {
  it('an empty model, or one with only ignored files → MODEL_EMPTY', async () => {
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    await expect(signModel(await NodeSource.open(models.empty_model_folder!), keySigner(sk))).rejects.toMatchObject({ code: 'MODEL_EMPTY' });
    await expect(
      signModel(await NodeSource.open(path.join(GOLDENS, 'v1.1.0-certificate')), keySigner(sk), {
        ignorePaths: ['signme-1', 'signme-2', 'model.sig', 'ignore-me'],
      }),
    ).rejects.toMatchObject({ code: 'MODEL_EMPTY' });
    await expect(signModel(await NodeSource.open(models.model_folder_with_empty_file!), keySigner(sk), { shardSize: 8 })).rejects.toMatchObject({
      code: 'MODEL_EMPTY',
    });
  });

  it('symlinks are refused unless allowed', async () => {
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    await expect(signModel(await NodeSource.open(models.symlink_model_folder!), keySigner(sk))).rejects.toMatchObject({ code: 'SYMLINK_REFUSED' });
    const ok = await signModel(await NodeSource.open(models.symlink_model_folder!), keySigner(sk), { allowSymlinks: true });
    expect(decode(ok.bundle).statement.predicate.serialization.allow_symlinks).toBe(true);
  });

  it('bad shard sizes and hashes → SERIALIZATION_UNSUPPORTED', async () => {
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    const src = await NodeSource.open(models.sample_model_folder!);
    for (const shardSize of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      await expect(signModel(src, keySigner(sk), { shardSize })).rejects.toMatchObject({ code: 'SERIALIZATION_UNSUPPORTED' });
    }
    await expect(signModel(src, keySigner(sk), { hashType: 'md5' as never })).rejects.toMatchObject({ code: 'SERIALIZATION_UNSUPPORTED' });
  });

  it('a key that does not match the certificate → KEY_MISMATCH with the reference wording', async () => {
    const sk = await readPrivateKey(key('p384-sec1.pem'));
    expect(() => certificateSigner(sk, refKey('signing-key-cert.pem'))).toThrow(
      'The public key from the certificate does not match the public key paired with the private key',
    );
    expect(() => certificateSigner(sk, refKey('signing-key-cert.pem'))).toThrow(expect.objectContaining({ code: 'KEY_MISMATCH' }));
  });

  it('an RSA certificate for an EC key → KEY_MISMATCH; garbage → CERT_MALFORMED', async () => {
    const sk = await readPrivateKey(refKey('signing-key.pem'));
    expect(() => certificateSigner(sk, refKey('ca-cert.pem'))).toThrow(expect.objectContaining({ code: 'KEY_MISMATCH' }));
    expect(() => certificateSigner(sk, 'nothing here')).toThrow(expect.objectContaining({ code: 'CERT_MALFORMED' }));
    expect(() => certificateSigner(sk, '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n')).toThrow(
      expect.objectContaining({ code: 'CERT_MALFORMED' }),
    );
  });

  it('a certificate that cannot sign (CA-only key usage) is caught by the self-check before anything is returned', async () => {
    // int-ca-cert is RSA, so build the case from a P-256 CA certificate made for this test by openssl.
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    const caOnly = key('p256-ca-only-cert.pem');
    const run = signModel(await NodeSource.open(models.sample_model_folder!), certificateSigner(sk, caOnly));
    await expect(run).rejects.toMatchObject({ code: 'CERT_USAGE' });
    await expect(run).rejects.toThrow('was not written');
  });
});
