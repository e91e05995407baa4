/**
 * RSA (PKCS#1 v1.5 and PSS, 2048–4096 bits, SHA-256) and Ed25519 keys for key and certificate signatures, as the
 * Go port writes and verifies them (core/crypto/key-signature.ts). Keys come from the openssl CLI when it is
 * installed (node:crypto otherwise), in every PEM form (PKCS#8, PKCS#1, encrypted PKCS#8). node:crypto is the
 * independent implementation: it verifies our signatures, and our verifier accepts the ones it makes. It has no
 * Ed25519ph, so that scheme is checked against RFC 8032's test vector (and the portable suite) instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pae } from '../../core/bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../core/bundle/types.js';
import { verifyWithKey } from '../../core/crypto/key-signature.js';
import { parseSpki } from '../../core/crypto/keys.js';
import { encodePem } from '../../core/crypto/pem.js';
import { externalSigningKey, readPrivateKey, type RsaPadding } from '../../core/sign/private-key.js';
import { signModel } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { certificateSigner } from '../../core/sign/x509/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { key, REPO, tempDir } from './helpers.js';

const files = () => ({ 'config.json': '{"layers":2}', 'weights/a.bin': new Uint8Array(3000).map((_, i) => i * 7), 'weights/b.bin': 'bbb' });
const model = () => new MemorySource('m', files());
const b64 = (b: Uint8Array | string) => Buffer.from(b as Uint8Array).toString('base64');
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const bundleJson = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8'));
const envelopeSig = (b: Uint8Array) => fromB64(bundleJson(b).dsseEnvelope.signatures[0].sig);
const envelopePae = (b: Uint8Array) => pae(IN_TOTO_PAYLOAD_TYPE, fromB64(bundleJson(b).dsseEnvelope.payload));

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const dir = tempDir('mv-keytypes-');

interface KeyFiles {
  /** PEM forms of the same private key: PKCS#8, PKCS#1 (RSA only), encrypted PKCS#8 (password 'pw'). */
  forms: { name: string; pem: string; password?: string }[];
  publicPem: string;
  priv: KeyObject;
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A key of the given type, made by the openssl CLI when present, else node:crypto. */
function makeKey(type: 'rsa' | 'ed25519', bits = 2048): KeyFiles {
  const file = path.join(dir, `${type}${bits}-${Math.random().toString(36).slice(2)}.pem`);
  if (HAVE_OPENSSL) {
    openssl(
      type === 'rsa'
        ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', file]
        : ['genpkey', '-algorithm', 'ed25519', '-out', file],
    );
    const pkcs8 = readFileSync(file, 'utf8');
    const forms: KeyFiles['forms'] = [{ name: 'PKCS#8', pem: pkcs8 }];
    if (type === 'rsa') forms.push({ name: 'PKCS#1', pem: openssl(['rsa', '-in', file, '-traditional']) });
    forms.push({ name: 'encrypted PKCS#8', pem: openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', file, '-passout', 'pass:pw']), password: 'pw' });
    return { forms, publicPem: openssl(['pkey', '-in', file, '-pubout']), priv: createPrivateKey(pkcs8) };
  }
  const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits }) : generateKeyPairSync('ed25519');
  const forms: KeyFiles['forms'] = [{ name: 'PKCS#8', pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }];
  if (type === 'rsa') forms.push({ name: 'PKCS#1', pem: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string });
  forms.push({
    name: 'encrypted PKCS#8',
    pem: privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string,
    password: 'pw',
  });
  return { forms, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, priv: privateKey };
}

/** node:crypto's verdict on a bundle's DSSE signature. */
function nodeAccepts(bundle: Uint8Array, publicPem: string, scheme: 'pkcs1v15' | 'pss' | 'ed25519'): boolean {
  const pub = createPublicKey(publicPem);
  const data = envelopePae(bundle);
  if (scheme === 'ed25519') return nodeVerify(null, data, pub, envelopeSig(bundle));
  const k = scheme === 'pss' ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO } : pub;
  return nodeVerify('sha256', data, k, envelopeSig(bundle));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const keys: Record<string, KeyFiles> = {};
beforeAll(() => {
  for (const bits of [2048, 3072, 4096]) keys[`rsa${bits}`] = makeKey('rsa', bits);
  keys.rsaOther = makeKey('rsa', 2048);
  keys.ed25519 = makeKey('ed25519');
  keys.edOther = makeKey('ed25519');
}, 120_000);

describe(`RSA keys (${HAVE_OPENSSL ? 'openssl CLI' : 'node:crypto'} keys)`, () => {
  for (const bits of [2048, 3072, 4096]) {
    for (const padding of ['pkcs1v15', 'pss'] as RsaPadding[]) {
      it(`RSA ${bits} ${padding}: every PEM form signs; our verifier and node:crypto accept; tampering fails`, async () => {
        const k = keys[`rsa${bits}`]!;
        for (const form of k.forms) {
          const sk = await readPrivateKey(form.pem, { rsaPadding: padding, ...(form.password ? { password: form.password } : {}) });
          expect(sk.algorithm, form.name).toEqual({ kind: 'rsa', bits });
          expect(sk.key?.extractable).toBe(false);
          expect(encodePem('PUBLIC KEY', sk.spki)).toBe(k.publicPem);
          const res = await signModel(model(), keySigner(sk));
          const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: k.publicPem });
          expect(report.errors, form.name).toEqual([]);
          expect(report.verified).toBe(true);
          expect(envelopeSig(res.bundle)).toHaveLength(bits / 8);
          expect(nodeAccepts(res.bundle, k.publicPem, padding), `node:crypto verifies our ${padding} signature`).toBe(true);
          // The other padding's check must refuse it: the two schemes are not confused.
          expect(nodeAccepts(res.bundle, k.publicPem, padding === 'pss' ? 'pkcs1v15' : 'pss')).toBe(false);
          if (form.name !== 'PKCS#8') continue; // the tamper cases once per key and padding
          const tampered = new MemorySource('m', { ...files(), 'weights/b.bin': 'bbc' });
          const t = await verifyModel(tampered, res.bundle, { method: 'key', publicKey: k.publicPem });
          expect(t.verified).toBe(false);
          expect(t.errors[0]?.code).toBe('HASH_MISMATCH');
          const wrong = await verifyModel(model(), res.bundle, { method: 'key', publicKey: keys.rsaOther!.publicPem });
          expect(wrong.errors[0]?.code).toBe('KEY_MISMATCH');
        }
      }, 60_000);
    }
  }

  it('signatures made by node:crypto verify: PKCS#1 v1.5, PSS with the hash-length salt and with the longest salt', async () => {
    const k = keys.rsa3072!;
    const spki = new Uint8Array(createPublicKey(k.publicPem).export({ type: 'spki', format: 'der' }));
    const signers = {
      pkcs1v15: async (d: Uint8Array) => new Uint8Array(nodeSign('sha256', d, k.priv)),
      pss32: async (d: Uint8Array) => new Uint8Array(nodeSign('sha256', d, { key: k.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })),
      pssMax: async (d: Uint8Array) =>
        new Uint8Array(nodeSign('sha256', d, { key: k.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN })),
    };
    for (const [name, sign] of Object.entries(signers)) {
      const res = await signModel(model(), keySigner(externalSigningKey(spki, sign)));
      const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: k.publicPem });
      expect(report.errors, name).toEqual([]);
      expect(await verifyWithKey(parseSpki(spki), envelopeSig(res.bundle), envelopePae(res.bundle))).toBe(
        name === 'pkcs1v15' ? 'rsa-pkcs1v15-sha256' : 'rsa-pss-sha256',
      );
    }
    // A PSS salt length no signer uses (16) is not accepted: only the hash length and the longest are tried.
    const odd = async (d: Uint8Array) => new Uint8Array(nodeSign('sha256', d, { key: k.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 16 }));
    await expect(signModel(model(), keySigner(externalSigningKey(spki, odd)))).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('a tampered payload fails with SIGNATURE_INVALID', async () => {
    const k = keys.rsa2048!;
    const res = await signModel(model(), keySigner(await readPrivateKey(k.forms[0]!.pem)));
    const b = bundleJson(res.bundle);
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'));
    st.predicate.resources[0].digest = '00'.repeat(32);
    b.dsseEnvelope.payload = b64(JSON.stringify(st));
    const report = await verifyModel(model(), new TextEncoder().encode(JSON.stringify(b)), { method: 'key', publicKey: k.publicPem });
    expect(report.verified).toBe(false);
    expect(report.errors[0]?.code).toBe('SIGNATURE_INVALID');
  });

  it('RSA below 2048 bits is refused for signing and for verification (KEY_UNSUPPORTED)', async () => {
    expect(await codeOf(readPrivateKey(key('rsa1024-pkcs8.pem')))).toBe('KEY_UNSUPPORTED');
    const small = createPublicKey(key('rsa1024-pkcs8.pem')).export({ type: 'spki', format: 'pem' }) as string;
    const res = await signModel(model(), keySigner(await readPrivateKey(keys.rsa2048!.forms[0]!.pem)));
    const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: small });
    expect(report.errors[0]?.code).toBe('KEY_UNSUPPORTED');
    const { publicKey: big } = generateKeyPairSync('rsa', { modulusLength: 4104 });
    const r2 = await verifyModel(model(), res.bundle, { method: 'key', publicKey: big.export({ type: 'spki', format: 'pem' }) as string });
    expect(r2.errors[0]?.code).toBe('KEY_UNSUPPORTED');
  });
});

describe('Ed25519 keys', () => {
  it('every PEM form signs Ed25519ph (as the Go port); our verifier accepts; node:crypto refuses it as pure Ed25519', async () => {
    const k = keys.ed25519!;
    for (const form of k.forms) {
      const sk = await readPrivateKey(form.pem, form.password ? { password: form.password } : {});
      expect(sk.algorithm).toEqual({ kind: 'ed25519' });
      expect(encodePem('PUBLIC KEY', sk.spki)).toBe(k.publicPem);
      const res = await signModel(model(), keySigner(sk));
      const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: k.publicPem });
      expect(report.errors, form.name).toEqual([]);
      expect(await verifyWithKey(parseSpki(sk.spki), envelopeSig(res.bundle), envelopePae(res.bundle))).toBe('ed25519ph');
      // Ed25519ph is domain-separated from pure Ed25519: node:crypto (pure only) must not accept it.
      expect(nodeAccepts(res.bundle, k.publicPem, 'ed25519')).toBe(false);
    }
  });

  it('pure Ed25519 signatures made by node:crypto (the Go port before sigstore-go) verify', async () => {
    const k = keys.ed25519!;
    const spki = new Uint8Array(createPublicKey(k.publicPem).export({ type: 'spki', format: 'der' }));
    const res = await signModel(model(), keySigner(externalSigningKey(spki, async (d) => new Uint8Array(nodeSign(null, d, k.priv)))));
    expect(nodeAccepts(res.bundle, k.publicPem, 'ed25519')).toBe(true);
    const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: k.publicPem });
    expect(report.errors).toEqual([]);
    expect(await verifyWithKey(parseSpki(spki), envelopeSig(res.bundle), envelopePae(res.bundle))).toBe('ed25519');
  });

  it('Ed25519ph matches RFC 8032 §7.3 (the test vector "abc")', async () => {
    const pub = Buffer.from('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf', 'hex');
    const sig = Buffer.from(
      '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406',
      'hex',
    );
    const spki = new Uint8Array(Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]));
    expect(await verifyWithKey(parseSpki(spki), new Uint8Array(sig), new TextEncoder().encode('abc'))).toBe('ed25519ph');
    expect(await verifyWithKey(parseSpki(spki), new Uint8Array(sig), new TextEncoder().encode('abd'))).toBe(null);
    // The RFC's secret key signs the same bytes through our reader (PKCS#8 wraps the 32-byte seed).
    const seed = Buffer.from('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42', 'hex');
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const sk = await readPrivateKey(encodePem('PRIVATE KEY', pkcs8));
    expect(Buffer.from(await sk.sign(new TextEncoder().encode('abc'))).equals(sig)).toBe(true);
  });

  it('wrong key, tampered payload and a truncated signature fail with typed codes', async () => {
    const k = keys.ed25519!;
    const res = await signModel(model(), keySigner(await readPrivateKey(k.forms[0]!.pem)));
    expect((await verifyModel(model(), res.bundle, { method: 'key', publicKey: keys.edOther!.publicPem })).errors[0]?.code).toBe('KEY_MISMATCH');
    const b = bundleJson(res.bundle);
    b.dsseEnvelope.payload = b64(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8').replace('config.json', 'config.jsom'));
    expect((await verifyModel(model(), new TextEncoder().encode(JSON.stringify(b)), { method: 'key', publicKey: k.publicPem })).errors[0]?.code).toBe(
      'SIGNATURE_INVALID',
    );
    const c = bundleJson(res.bundle);
    c.dsseEnvelope.signatures[0].sig = b64(envelopeSig(res.bundle).subarray(0, 63));
    expect((await verifyModel(model(), new TextEncoder().encode(JSON.stringify(c)), { method: 'key', publicKey: k.publicPem })).errors[0]?.code).toBe(
      'SIGNATURE_INVALID',
    );
  });
});

describe('hostile signatures', () => {
  it('any changed, truncated or extended signature of each scheme is refused (null), never an exception', async () => {
    const cases = [] as { spki: Uint8Array; sig: Uint8Array; data: Uint8Array }[];
    for (const [name, rsaPadding] of [
      ['rsa2048', 'pkcs1v15'],
      ['rsa2048', 'pss'],
      ['ed25519', undefined],
    ] as const) {
      const sk = await readPrivateKey(keys[name]!.forms[0]!.pem, rsaPadding ? { rsaPadding } : {});
      const data = new TextEncoder().encode(`payload for ${name}`);
      cases.push({ spki: sk.spki, sig: await sk.sign(data), data });
    }
    for (const c of cases) expect(await verifyWithKey(parseSpki(c.spki), c.sig, c.data)).not.toBe(null);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...cases),
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('cut' as const), n: fc.integer({ min: 1, max: 64 }) }),
          fc.record({ kind: fc.constant('add' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
        ),
        async (c, m) => {
          let sig = c.sig.slice();
          if (m.kind === 'flip') sig[m.at % sig.length]! ^= 1 << m.bit;
          else if (m.kind === 'cut') sig = sig.subarray(0, Math.max(0, sig.length - m.n));
          else sig = new Uint8Array([...sig, ...m.extra]);
          expect(await verifyWithKey(parseSpki(c.spki), sig, c.data)).toBe(null);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe('certificate signing with RSA and Ed25519 leaves', () => {
  it.skipIf(!HAVE_OPENSSL)('a self-signed RSA / Ed25519 signing certificate (openssl req -x509) signs and verifies as its own anchor', async () => {
    for (const name of ['rsa3072', 'ed25519']) {
      const k = keys[name]!;
      const keyFile = path.join(dir, `${name}-cert-key.pem`);
      writeFileSync(keyFile, k.forms[0]!.pem);
      const certPem = openssl([
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        `/CN=${name} signer`,
        '-days',
        '30',
        '-addext',
        'keyUsage=critical,digitalSignature',
      ]);
      const sk = await readPrivateKey(k.forms[0]!.pem);
      const res = await signModel(model(), certificateSigner(sk, certPem));
      const report = await verifyModel(model(), res.bundle, { method: 'certificate', anchors: [certPem] });
      expect(report.errors, name).toEqual([]);
      expect(report.verified).toBe(true);
    }
  });
});

describe('CLI: sign key / verify key with RSA and Ed25519 keys', () => {
  const CLI = path.join(REPO, 'bin/model-verify.js');
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  for (const [name, padding] of [
    ['rsa2048', 'pss'],
    ['rsa2048', undefined],
    ['ed25519', undefined],
  ] as const) {
    it(`${name}${padding ? ` --rsa-padding ${padding}` : ''}: sign key, then verify key`, () => {
      const k = keys[name]!;
      const m = path.join(dir, `cli-${name}-${padding ?? 'default'}`);
      mkdirSync(m, { recursive: true });
      writeFileSync(path.join(m, 'w.bin'), 'weights');
      const priv = path.join(dir, `${name}-priv.pem`);
      const pub = path.join(dir, `${name}-pub.pem`);
      writeFileSync(priv, k.forms[0]!.pem);
      writeFileSync(pub, k.publicPem);
      const sig = path.join(m, 'model.sig');
      const s = run(['sign', 'key', m, '--signature', sig, '--private-key', priv, ...(padding ? ['--rsa-padding', padding] : [])]);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      const v = run(['verify', 'key', '--signature', sig, '--public-key', pub, m]);
      expect(v.stdout).toContain('Verification succeeded');
      expect(v.status).toBe(0);
      const w = run([
        'verify',
        'key',
        '--signature',
        sig,
        '--public-key',
        path.join(REPO, 'tests/fixtures/model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem'),
        m,
      ]);
      expect(w.status).toBe(1);
      expect(w.stderr).toContain('[KEY_MISMATCH]');
    }, 60_000);
  }
});
