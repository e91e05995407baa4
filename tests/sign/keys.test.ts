/** Private keys in every form: SEC1, PKCS#8, encrypted PKCS#8 (PBKDF2 and scrypt); wrong types → typed errors. */
import { generateKeyPairSync, createPublicKey, createPrivateKey } from 'node:crypto';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { keyHint } from '../../core/crypto/keys.js';
import { encodePem, decodePem } from '../../core/crypto/pem.js';
import { readPrivateKey } from '../../core/sign/private-key.js';
import { generateSigningKey } from '../../core/sign/generate.js';
import { key, refKey } from './helpers.js';

const spkiOf = (pem: string, passphrase?: string) =>
  new Uint8Array(createPublicKey(createPrivateKey(passphrase ? { key: pem, passphrase } : pem)).export({ type: 'spki', format: 'der' }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('readPrivateKey', () => {
  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const enc = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    const want = spkiOf(pkcs8);
    it(`${curve}: SEC1, PKCS#8 and encrypted PKCS#8 give the same key`, async () => {
      for (const [pem, password] of [[sec1], [pkcs8], [enc, 'pw']] as const) {
        const k = await readPrivateKey(pem, password ? { password } : {});
        expect(k.curve).toBe(curve);
        expect(k.hash).toBe({ 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' }[curve]);
        expect(Buffer.from(k.spki).equals(Buffer.from(want))).toBe(true);
        expect(k.key?.extractable).toBe(false);
      }
    });
  }

  it('reads the reference fixture key (SEC1 P-384 after a certtool text dump) and matches its public key hint', async () => {
    const k = await readPrivateKey(refKey('signing-key.pem'));
    expect(k.curve).toBe('P-384');
    expect(await keyHint(k.spki)).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
  });

  it('reads scrypt-encrypted PKCS#8 (openssl pkcs8 -scrypt)', async () => {
    const k = await readPrivateKey(key('p256-scrypt.pem'), { password: 'correct-horse' });
    expect(Buffer.from(k.spki).equals(Buffer.from(spkiOf(key('p256-sec1.pem'))))).toBe(true);
  });

  it('reads PBKDF2-HMAC-SHA1 + AES-128-CBC', async () => {
    const k = await readPrivateKey(key('p384-aes128-sha1.pem'), { password: 'correct-horse' });
    expect(Buffer.from(k.spki).equals(Buffer.from(spkiOf(key('p384-sec1.pem'))))).toBe(true);
  });

  it('derives the public key when the SEC1 key omits it', async () => {
    const k = await readPrivateKey(key('p384-nopub-sec1.pem'));
    expect(Buffer.from(k.spki).equals(Buffer.from(spkiOf(key('p384-sec1.pem'))))).toBe(true);
  });

  it('refuses a key file whose embedded public key belongs to another key', async () => {
    const a = decodePem(key('p256-sec1.pem'), ['EC PRIVATE KEY'], 'a').der;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const otherPoint = new Uint8Array(other.subarray(other.length - 65));
    const asn = asn1js.fromBER(new Uint8Array(a).buffer);
    const seq = asn.result as asn1js.Sequence;
    const tagged = seq.valueBlock.value[3] as asn1js.Constructed;
    tagged.valueBlock.value[0] = new asn1js.BitString({ valueHex: otherPoint, unusedBits: 0 });
    const forged = encodePem('EC PRIVATE KEY', new Uint8Array(seq.toBER(false)));
    expect(await code(readPrivateKey(forged))).toBe('KEY_MALFORMED');
    await expect(readPrivateKey(forged)).rejects.toThrow('embedded public key does not belong');
  });

  it('wrong or missing password → KEY_PASSWORD', async () => {
    expect(await code(readPrivateKey(key('p256-scrypt.pem'), { password: 'wrong' }))).toBe('KEY_PASSWORD');
    expect(await code(readPrivateKey(key('p384-aes128-sha1.pem'), { password: 'wrong' }))).toBe('KEY_PASSWORD');
    expect(await code(readPrivateKey(key('p256-scrypt.pem')))).toBe('KEY_PASSWORD');
  });

  it('wrong key types, curves and encodings → KEY_UNSUPPORTED with a clear message', async () => {
    for (const f of ['secp256k1-sec1.pem', 'p256-des3.pem', 'p256-legacy-encrypted.pem']) {
      expect(await code(readPrivateKey(key(f), { password: 'correct-horse' })), f).toBe('KEY_UNSUPPORTED');
    }
    await expect(readPrivateKey(key('secp256k1-sec1.pem'))).rejects.toThrow("Unsupported key for curve 'secp256k1'");
    // RSA and Ed25519 keys are read since issue 16 (tests/sign/key-types.test.ts); RSA below 2048 bits is not.
    expect((await readPrivateKey(key('rsa-pkcs8.pem'))).algorithm).toEqual({ kind: 'rsa', bits: 2048 });
    expect((await readPrivateKey(key('ed25519-pkcs8.pem'))).algorithm).toEqual({ kind: 'ed25519' });
  });

  it('garbage → KEY_MALFORMED, never an untyped error', async () => {
    const cases = [
      '',
      'not a key',
      refKey('signing-key-pub.pem'),
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      '-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n',
      encodePem('PRIVATE KEY', new Uint8Array(200).fill(0x30)),
      key('p256-sec1.pem') + key('p384-sec1.pem'),
    ];
    for (const c of cases) expect(await code(readPrivateKey(c)), JSON.stringify(c.slice(0, 60))).toBe('KEY_MALFORMED');
  });

  it('a zero private scalar is refused', async () => {
    const zero = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        new asn1js.OctetString({ valueHex: new Uint8Array(32).buffer }),
        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.3.1.7' })] }),
      ],
    });
    expect(await code(readPrivateKey(encodePem('EC PRIVATE KEY', new Uint8Array(zero.toBER(false)))))).toBe('KEY_MALFORMED');
  });

  it('generates a key pair whose PEMs read back to the same public key', async () => {
    for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
      const g = await generateSigningKey(curve);
      const back = await readPrivateKey(g.privateKeyPem);
      expect(Buffer.from(back.spki).equals(Buffer.from(g.signingKey.spki))).toBe(true);
      expect(createPublicKey(g.publicKeyPem).export({ type: 'spki', format: 'pem' })).toBe(g.publicKeyPem);
    }
  });
});
