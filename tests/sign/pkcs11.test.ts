/**
 * PKCS#11 signing against SoftHSM2 (Debian's softhsm2, installed by scripts/ensure-softhsm.mjs when absent and
 * we are root), the Go port's scripts/tests/test-pkcs11.sh flow with this CLI's spellings: a token in a temp dir
 * (SOFTHSM2_CONF), keys generated inside it (through the pkcs11js binding: P-256, P-384, RSA 2048), `sign
 * pkcs11-key` verified by `verify key` and by node:crypto, `sign pkcs11-certificate` with a CA-issued leaf for the
 * token's key verified by `verify certificate`; wrong PIN, missing key, bad URI and a missing PIN are typed errors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pae } from '../../core/bundle/dsse.js';
import { encodePem } from '../../core/crypto/pem.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../core/bundle/types.js';
import { keySigner } from '../../core/sign/signers.js';
import { signModel } from '../../core/sign/sign-model.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { openPkcs11Key } from '../../node/pkcs11.js';
// @ts-expect-error: a plain .mjs script without types
import { ensureSoftHsm } from '../../scripts/ensure-softhsm.mjs';
import { REPO, tempDir } from './helpers.js';
import { dn, ext, keyUsage } from './stack/pki.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
const dir = tempDir('mv-pkcs11-');
const conf = path.join(dir, 'softhsm2.conf');
const env = { ...process.env, SOFTHSM2_CONF: conf };
const TOKEN = 'model-signing-test';
const PIN = '1234';
let modulePath = '';

const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
const uri = (object: string, query = `pin-value=${PIN}`) => `pkcs11:token=${TOKEN};object=${object}?module-path=${modulePath}&${query}`;

/** The public key of a token key as PEM, read from its attributes and converted by node:crypto (not our code). */
function publicPem(p11: any, lib: any, session: any, handle: any, kind: 'ec' | 'rsa'): string {
  const b64u = (b: Buffer) => b.toString('base64url');
  if (kind === 'rsa') {
    const [n, e] = lib.C_GetAttributeValue(session, handle, [{ type: p11.CKA_MODULUS }, { type: p11.CKA_PUBLIC_EXPONENT }]);
    return createPublicKey({ key: { kty: 'RSA', n: b64u(n.value), e: b64u(e.value) }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  }
  const [params, point] = lib.C_GetAttributeValue(session, handle, [{ type: p11.CKA_EC_PARAMS }, { type: p11.CKA_EC_POINT }]);
  const raw: Buffer = point.value[0] === 0x04 && point.value[1] === point.value.length - 2 ? point.value.subarray(2) : point.value;
  const size = (raw.length - 1) / 2;
  const crv = params.value.toString('hex') === '06082a8648ce3d030107' ? 'P-256' : 'P-384';
  return createPublicKey({ key: { kty: 'EC', crv, x: b64u(raw.subarray(1, 1 + size)), y: b64u(raw.subarray(1 + size)) }, format: 'jwk' }).export({
    type: 'spki',
    format: 'pem',
  }) as string;
}

const pubs: Record<string, string> = {};
const model = path.join(dir, 'model');

beforeAll(() => {
  const hsm = ensureSoftHsm({ quiet: true });
  modulePath = hsm.module;
  mkdirSync(path.join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  execFileSync(hsm.util, ['--init-token', '--free', '--label', TOKEN, '--pin', PIN, '--so-pin', '5678'], { env, stdio: 'pipe' });
  // Keys are made inside the token, as an operator would (pkcs11-tool/p11tool do the same C_GenerateKeyPair).
  process.env.SOFTHSM2_CONF = conf;
  const p11 = createRequire(import.meta.url)('pkcs11js');
  const lib = new p11.PKCS11();
  lib.load(modulePath);
  lib.C_Initialize();
  const slot = lib.C_GetSlotList(true).find((s: Buffer) => lib.C_GetTokenInfo(s).label.trim() === TOKEN);
  const session = lib.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
  lib.C_Login(session, p11.CKU_USER, PIN);
  const common = (label: string, id: number) => [
    { type: p11.CKA_TOKEN, value: true },
    { type: p11.CKA_LABEL, value: label },
    { type: p11.CKA_ID, value: Buffer.from([id]) },
  ];
  const keys: [string, number, 'ec' | 'rsa', object, object[]][] = [
    ['mykey', 1, 'ec', { mechanism: p11.CKM_EC_KEY_PAIR_GEN }, [{ type: p11.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') }]],
    ['p384key', 2, 'ec', { mechanism: p11.CKM_EC_KEY_PAIR_GEN }, [{ type: p11.CKA_EC_PARAMS, value: Buffer.from('06052b81040022', 'hex') }]],
    [
      'rsakey',
      3,
      'rsa',
      { mechanism: p11.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: p11.CKA_MODULUS_BITS, value: 2048 },
        { type: p11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
    ],
  ];
  for (const [label, id, kind, mech, pubAttrs] of keys) {
    const kp = lib.C_GenerateKeyPair(
      session,
      mech,
      [...common(label, id), { type: p11.CKA_VERIFY, value: true }, ...pubAttrs],
      [...common(label, id), { type: p11.CKA_SIGN, value: true }, { type: p11.CKA_PRIVATE, value: true }, { type: p11.CKA_SENSITIVE, value: true }],
    );
    pubs[label] = publicPem(p11, lib, session, kp.publicKey, kind);
    writeFileSync(path.join(dir, `${label}.pub.pem`), pubs[label]!);
  }
  lib.C_Logout(session);
  lib.C_CloseSession(session);
  lib.C_Finalize();
  lib.close();
  mkdirSync(model);
  writeFileSync(path.join(model, 'file1.txt'), 'test file 1\n');
  writeFileSync(path.join(model, 'file2.txt'), 'test file 2\n');
}, 300_000);

/** node:crypto's verdict on the bundle's DSSE signature (PAE over the in-toto payload). */
function nodeAccepts(sigFile: string, pem: string, kind: 'ec' | 'rsa'): boolean {
  const b = JSON.parse(readFileSync(sigFile, 'utf8'));
  const data = pae(IN_TOTO_PAYLOAD_TYPE, Buffer.from(b.dsseEnvelope.payload, 'base64'));
  const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
  const hash = kind === 'ec' && pem === pubs.p384key ? 'sha384' : 'sha256';
  return nodeVerify(hash, data, kind === 'ec' ? { key: createPublicKey(pem), dsaEncoding: 'der' } : createPublicKey(pem), sig);
}

describe('sign pkcs11-key (SoftHSM2)', () => {
  for (const [label, kind] of [
    ['mykey', 'ec'],
    ['p384key', 'ec'],
    ['rsakey', 'rsa'],
  ] as const) {
    it(`${label}: signed in the token, verified by verify key and by node:crypto`, () => {
      const sig = path.join(dir, `${label}.sig`);
      const s = run(['sign', 'pkcs11-key', '--signature', sig, '--pkcs11-uri', uri(label), model]);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      const pub = path.join(dir, `${label}.pub.pem`);
      const v = run(['verify', 'key', '--signature', sig, '--public-key', pub, model]);
      expect(v.stdout).toContain('Verification succeeded');
      expect(v.status).toBe(0);
      expect(nodeAccepts(sig, pubs[label]!, kind)).toBe(true);
      const other = run(['verify', 'key', '--signature', sig, '--public-key', path.join(dir, `${label === 'mykey' ? 'p384key' : 'mykey'}.pub.pem`), model]);
      expect(other.status).toBe(1);
      expect(other.stderr).toContain('[KEY_MISMATCH]');
    }, 120_000);
  }

  it('--module-path instead of the URI attribute, the key named by id, the PIN from a pin-source file', () => {
    const pinFile = path.join(dir, 'pin.txt');
    writeFileSync(pinFile, `${PIN}\n`);
    const sig = path.join(dir, 'by-id.sig');
    const s = run([
      'sign',
      'pkcs11-key',
      '--signature',
      sig,
      '--module-path',
      modulePath,
      '--pkcs11-uri',
      `pkcs11:token=${TOKEN};id=%01?pin-source=file://${pinFile}`,
      model,
    ]);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(run(['verify', 'key', '--signature', sig, '--public-key', path.join(dir, 'mykey.pub.pem'), model]).status).toBe(0);
  }, 120_000);

  it('the core API: openPkcs11Key → keySigner → signModel; our verifier accepts it', async () => {
    process.env.SOFTHSM2_CONF = conf;
    const k = await openPkcs11Key({ uri: uri('p384key') });
    try {
      expect(k.key.algorithm).toEqual({ kind: 'ec', curve: 'P-384' });
      const src = () => new MemorySource('m', { 'a.bin': 'weights' });
      const res = await signModel(src(), keySigner(k.key));
      const report = await verifyModel(src(), res.bundle, { method: 'key', publicKey: pubs.p384key! });
      expect(report.errors).toEqual([]);
    } finally {
      k.close();
    }
  });

  const failures: [string, string[], string, string][] = [
    ['wrong PIN', ['--pkcs11-uri', 'WRONG_PIN'], 'KEY_PASSWORD', 'refused the PIN'],
    ['missing key object', ['--pkcs11-uri', 'MISSING'], 'INPUT_MISSING', 'No private key object=nokey'],
    ['no PIN for a token that needs one', ['--pkcs11-uri', 'NO_PIN'], 'KEY_PASSWORD', 'needs a PIN'],
    ['unknown token', ['--pkcs11-uri', 'NO_TOKEN'], 'INPUT_MISSING', 'No PKCS#11 token matches'],
    ['a malformed URI', ['--pkcs11-uri', 'pkcs11:token=a;token=b;object=k'], 'KEY_MALFORMED', "attribute 'token' appears twice"],
    ['no module', ['--pkcs11-uri', `pkcs11:token=${TOKEN};object=mykey?pin-value=${PIN}`], 'KEY_MALFORMED', 'No PKCS#11 module'],
    [
      'a module that is not one',
      ['--pkcs11-uri', `pkcs11:token=${TOKEN};object=mykey?pin-value=${PIN}`, '--module-path', '/etc/hostname'],
      'IO_ERROR',
      'Cannot load the PKCS#11 module',
    ],
  ];
  for (const [name, args, code, text] of failures) {
    it(`${name} → ${code}, no signature written`, () => {
      const fixed = args.map((a) =>
        a === 'WRONG_PIN'
          ? uri('mykey', 'pin-value=0000')
          : a === 'MISSING'
            ? uri('nokey')
            : a === 'NO_PIN'
              ? `pkcs11:token=${TOKEN};object=mykey?module-path=${modulePath}`
              : a === 'NO_TOKEN'
                ? `pkcs11:token=absent;object=mykey?module-path=${modulePath}&pin-value=${PIN}`
                : a,
      );
      const sig = path.join(dir, `fail-${name.replace(/\W+/g, '-')}.sig`);
      const r = run(['sign', 'pkcs11-key', '--signature', sig, ...fixed, model]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`[${code}]`);
      expect(r.stderr).toContain(text);
      expect(() => readFileSync(sig)).toThrow();
    }, 120_000);
  }
});

describe('sign pkcs11-certificate (SoftHSM2)', () => {
  it('a self-signed certificate whose TBS the token signed (certtool --generate-self-signed in the Go flow)', async () => {
    process.env.SOFTHSM2_CONF = conf;
    const k = await openPkcs11Key({ uri: uri('mykey') });
    let certPem: string;
    try {
      const c = new pkijs.Certificate();
      c.version = 2;
      c.serialNumber = new asn1js.Integer({ value: 7 });
      c.subject = dn('PKCS11 Test CA');
      c.issuer = dn('PKCS11 Test CA');
      c.notBefore.value = new Date(Date.now() - 60_000);
      c.notAfter.value = new Date(Date.now() + 365 * 86_400_000);
      c.extensions = [ext('2.5.29.19', new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false), true), ext('2.5.29.15', keyUsage(0x84, 2), true)];
      c.subjectPublicKeyInfo.fromSchema(asn1js.fromBER(k.key.spki.slice().buffer).result);
      c.signature = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }); // ecdsa-with-SHA256
      c.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' });
      const sig = await k.key.sign(new Uint8Array(c.encodeTBS().toBER(false)));
      c.signatureValue = new asn1js.BitString({ valueHex: sig.slice().buffer });
      certPem = encodePem('CERTIFICATE', new Uint8Array(c.toSchema(true).toBER(false)));
    } finally {
      k.close();
    }
    const certFile = path.join(dir, 'self-signed.pem');
    writeFileSync(certFile, certPem);
    const sig = path.join(dir, 'self-signed.sig');
    const s = run(['sign', 'pkcs11-certificate', '--signature', sig, '--pkcs11-uri', uri('mykey'), '--signing-certificate', certFile, model]);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    const v = run(['verify', 'certificate', '--signature', sig, '--certificate-chain', certFile, model]);
    expect(v.stdout).toContain('Verification succeeded');
    expect(v.status).toBe(0);
  }, 120_000);

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)(
    'a CA-issued leaf for the token key: signed with the chain, verified by verify certificate against the CA',
    () => {
      const o = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
      o([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-subj',
        '/CN=PKCS11 Test CA',
        '-days',
        '30',
      ]);
      // The leaf certifies the token's public key (-force_pubkey); the throwaway CSR only carries the subject.
      o([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'csr.key',
        '-out',
        'leaf.csr',
        '-subj',
        '/CN=PKCS11 Test Signing Cert',
      ]);
      writeFileSync(path.join(dir, 'leaf.ext'), 'keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n');
      o([
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-force_pubkey',
        'mykey.pub.pem',
        '-extfile',
        'leaf.ext',
        '-days',
        '30',
        '-out',
        'leaf.pem',
      ]);
      const sig = path.join(dir, 'chain.sig');
      const s = run([
        'sign',
        'pkcs11-certificate',
        '--signature',
        sig,
        '--pkcs11-uri',
        uri('mykey'),
        '--signing-certificate',
        path.join(dir, 'leaf.pem'),
        '--certificate-chain',
        path.join(dir, 'ca.pem'),
        model,
      ]);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      const v = run(['verify', 'certificate', '--signature', sig, '--certificate-chain', path.join(dir, 'ca.pem'), model]);
      expect(v.stdout).toContain('Verification succeeded');
      expect(v.status).toBe(0);
      // A certificate for another key than the token's is refused before anything is signed.
      const w = run([
        'sign',
        'pkcs11-certificate',
        '--signature',
        sig + '2',
        '--pkcs11-uri',
        uri('p384key'),
        '--signing-certificate',
        path.join(dir, 'leaf.pem'),
        model,
      ]);
      expect(w.status).toBe(1);
      expect(w.stderr).toContain('[KEY_MISMATCH]');
    },
    120_000,
  );
});
