/** Every key/certificate golden, tampered in each way the issue lists, fails with the right error code. */
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyModel, type Policy } from '../../core/index.js';
import { NodeSource } from '../../node/source.js';
import { KEY_CERT_GOLDENS, copyModel, policyFor, sigPath, type Golden } from '../helpers/fixtures.js';
import { certBundle, issue } from '../helpers/pki.js';
import { resignBundle } from '../helpers/resign.js';

async function run(g: Golden, opts: { model?: string; bundle?: string | Uint8Array; policy?: Policy; ignoreUnsigned?: boolean } = {}) {
  const model = opts.model ?? copyModel(g);
  const source = await NodeSource.open(model);
  const report = await verifyModel(source, opts.bundle ?? readFileSync(sigPath(g)), opts.policy ?? policyFor(g), {
    ignorePaths: source.isFile ? [] : [...g.ignore, 'model.sig'],
    ignoreUnsigned: !!opts.ignoreUnsigned,
  });
  return report;
}

function firstFile(model: string): string {
  return model.endsWith('signme-1') ? model : path.join(model, 'signme-1');
}

const otherKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

let foreignCa: Awaited<ReturnType<typeof issue>>;
beforeAll(async () => {
  foreignCa = await issue({ cn: 'foreign-root', ca: true });
});

describe.each(KEY_CERT_GOLDENS)('$name tampered', (g) => {
  const bundleText = () => readFileSync(sigPath(g), 'utf8');
  const code = async (opts: Parameters<typeof run>[1]) => {
    const r = await run(g, opts);
    expect(r.verified).toBe(false);
    return r.errors[0]!.code;
  };

  it('byte flipped in a model file → HASH_MISMATCH', async () => {
    const m = copyModel(g);
    const f = firstFile(m);
    const b = readFileSync(f);
    b[0]! ^= 0x01;
    writeFileSync(f, b);
    const r = await run(g, { model: m });
    expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH' });
    expect(r.resources.find((x) => x.status === 'mismatch')).toBeTruthy();
  });

  it('extra unsigned file → UNSIGNED_FILE, accepted with ignoreUnsigned', async () => {
    if (g.model.endsWith('signme-1')) return; // single-file models have no room for extras
    const m = copyModel(g);
    writeFileSync(path.join(m, 'extra.bin'), 'x');
    expect(await code({ model: m })).toBe('UNSIGNED_FILE');
    const ok = await run(g, { model: m, ignoreUnsigned: true });
    expect(ok.errors).toEqual([]);
    expect(ok.verified).toBe(true);
    expect(ok.resources.find((r) => r.name === 'extra.bin')?.status).toBe('unsigned');
  });

  it('missing file → MISSING_FILE', async () => {
    if (g.model.endsWith('signme-1')) return;
    const m = copyModel(g);
    rmSync(path.join(m, 'signme-2'));
    expect(await code({ model: m })).toBe('MISSING_FILE');
  });

  it('renamed file → UNSIGNED_FILE + MISSING_FILE', async () => {
    if (g.model.endsWith('signme-1')) return;
    const m = copyModel(g);
    renameSync(path.join(m, 'signme-2'), path.join(m, 'signme-3'));
    const r = await run(g, { model: m });
    expect(r.errors.map((e) => e.code).sort()).toEqual(['MISSING_FILE', 'UNSIGNED_FILE']);
  });

  it('wrong trust input → KEY_MISMATCH / SIGNATURE_INVALID / CERT_CHAIN_UNTRUSTED', async () => {
    if (g.method === 'key') {
      const expected = g.name.startsWith('v1.1.0') ? 'KEY_MISMATCH' : 'SIGNATURE_INVALID';
      expect(await code({ policy: { method: 'key', publicKey: otherKeyPem } })).toBe(expected);
    } else {
      expect(await code({ policy: { method: 'certificate', anchors: [foreignCa.pem] } })).toBe('CERT_CHAIN_UNTRUSTED');
    }
  });

  it('truncated, corrupted and empty bundles → BUNDLE_MALFORMED', async () => {
    const t = bundleText();
    expect(await code({ bundle: t.slice(0, t.length / 2) })).toBe('BUNDLE_MALFORMED');
    expect(await code({ bundle: t.replace('"dsseEnvelope"', '"dsseEnvelopX"') })).toBe('BUNDLE_MALFORMED');
    expect(await code({ bundle: '' })).toBe('BUNDLE_MALFORMED');
    expect(await code({ bundle: new Uint8Array([0xff, 0xfe, 0x00]) })).toBe('BUNDLE_MALFORMED');
  });

  it('wrong mediaType → BUNDLE_MEDIA_TYPE', async () => {
    const b = JSON.parse(bundleText());
    b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
    expect(await code({ bundle: JSON.stringify(b) })).toBe('BUNDLE_MEDIA_TYPE');
    b.mediaType = 'application/json';
    expect(await code({ bundle: JSON.stringify(b) })).toBe('BUNDLE_MEDIA_TYPE');
  });

  it('wrong payloadType → DSSE_PAYLOAD_TYPE', async () => {
    expect(await code({ bundle: resignBundle(bundleText(), { payloadType: 'application/json' }) })).toBe('DSSE_PAYLOAD_TYPE');
  });

  it('statement edits (re-signed) → STATEMENT_TYPE / PREDICATE_TYPE / SUBJECT_INVALID / MANIFEST_EMPTY', async () => {
    const edit = async (f: (st: any) => any) => code({ bundle: resignBundle(bundleText(), { statement: f }) });
    expect(await edit((st) => ({ ...st, _type: 'https://in-toto.io/Statement/v0.1' }))).toBe('STATEMENT_TYPE');
    expect(await edit((st) => ({ ...st, predicateType: 'https://slsa.dev/provenance/v1' }))).toBe('PREDICATE_TYPE');
    if (g.name.startsWith('v0.2.0')) {
      expect(await edit((st) => ({ ...st, subject: [] }))).toBe('MANIFEST_EMPTY');
      return;
    }
    expect(await edit((st) => ({ ...st, subject: [] }))).toBe('SUBJECT_INVALID');
    expect(await edit((st) => ({ ...st, subject: [st.subject[0], st.subject[0]] }))).toBe('SUBJECT_INVALID');
    const empty = (st: any) => ({
      ...st,
      subject: [{ ...st.subject[0], digest: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } }],
      predicate: { ...st.predicate, resources: [] },
    });
    expect(await edit(empty)).toBe('MANIFEST_EMPTY');
    expect(await edit((st) => ({ ...st, predicate: { ...st.predicate, resources: [] } }))).toBe('ROOT_DIGEST_MISMATCH');
  });

  it('signature bit flip → SIGNATURE_INVALID', async () => {
    const b = JSON.parse(bundleText());
    const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 5]! ^= 0x10;
    b.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    expect(await code({ bundle: JSON.stringify(b) })).toBe('SIGNATURE_INVALID');
  });

  it('payload bit flip → SIGNATURE_INVALID', async () => {
    const b = JSON.parse(bundleText());
    const p = Buffer.from(b.dsseEnvelope.payload, 'base64');
    p[p.indexOf('signme')]! ^= 0x01;
    b.dsseEnvelope.payload = p.toString('base64');
    expect(await code({ bundle: JSON.stringify(b) })).toBe('SIGNATURE_INVALID');
  });

  it('verified with the other method → BUNDLE_MATERIAL', async () => {
    const policy: Policy =
      g.method === 'key'
        ? policyFor(KEY_CERT_GOLDENS[0]!)
        : { method: 'key', publicKey: readFileSync(path.join(sigPath(g), '../../keys/certificate/signing-key-pub.pem'), 'utf8') };
    expect(await code({ policy })).toBe('BUNDLE_MATERIAL');
  });
});

describe('certificate validity', () => {
  const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
  const payload = () => Buffer.from(JSON.parse(readFileSync(sigPath(g), 'utf8')).dsseEnvelope.payload, 'base64');

  it('a leaf that chains to the anchor verifies (the test PKI itself is sound)', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: root });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
  });

  it('an expired signing certificate → CERT_EXPIRED', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: root, notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors[0]?.code).toBe('CERT_EXPIRED');
  });

  it('a not-yet-valid signing certificate → CERT_NOT_YET_VALID', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: root, notBefore: new Date(Date.now() + 86400_000 * 30) });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors[0]?.code).toBe('CERT_NOT_YET_VALID');
  });

  it('an issuer that is not a CA → CERT_CONSTRAINTS', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const notCa = await issue({ cn: 'not-a-ca', issuer: root, ca: false });
    const leaf = await issue({ cn: 'test-leaf', issuer: notCa });
    const r = await run(g, { bundle: await certBundle(payload(), leaf, [notCa]), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors[0]?.code).toBe('CERT_CONSTRAINTS');
  });

  it('a leaf without digitalSignature or codeSigning → CERT_USAGE', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: root, keyUsage: 'none' });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors[0]?.code).toBe('CERT_USAGE');
  });

  it('a leaf with only EKU codeSigning is usable (the reference accepts either)', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: root, keyUsage: 'none', codeSigning: true });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.verified).toBe(true);
  });

  it('an intermediate not in the bundle → CERT_CHAIN_UNTRUSTED', async () => {
    const root = await issue({ cn: 'test-root', ca: true });
    const mid = await issue({ cn: 'test-mid', issuer: root, ca: true });
    const leaf = await issue({ cn: 'test-leaf', issuer: mid });
    const r = await run(g, { bundle: await certBundle(payload(), leaf), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(r.errors[0]?.code).toBe('CERT_CHAIN_UNTRUSTED');
    const ok = await run(g, { bundle: await certBundle(payload(), leaf, [mid]), policy: { method: 'certificate', anchors: [root.pem] } });
    expect(ok.verified).toBe(true);
  });
});

describe('appending to a signed file', () => {
  it('is a HASH_MISMATCH', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    const m = copyModel(g);
    appendFileSync(path.join(m, 'signme-2'), '!');
    const r = await run(g, { model: m });
    expect(r.errors.map((e) => e.code)).toEqual(['HASH_MISMATCH']);
  });
});

describe('unsigned certificate bytes (found by the fuzzer)', () => {
  it('an intermediate whose outer signatureAlgorithm differs from the signed one → CERT_MALFORMED', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v0.3.1-certificate')!;
    const b = JSON.parse(readFileSync(sigPath(g), 'utf8'));
    const der = Buffer.from(b.verificationMaterial.x509CertificateChain.certificates[1].rawBytes, 'base64');
    // The NULL parameters of the outer sha256WithRSAEncryption sit right before the signature BIT STRING.
    const at = der.length - 385 - 4 - 2;
    expect(der[at]).toBe(0x05);
    der[at] = 0x15;
    b.verificationMaterial.x509CertificateChain.certificates[1].rawBytes = der.toString('base64');
    const r = await run(g, { bundle: JSON.stringify(b) });
    expect(r.errors[0]?.code).toBe('CERT_MALFORMED');
  });
});

describe('non-DER certificate envelopes (found by the fuzzer)', () => {
  it('a leaf whose outer SEQUENCE length is wrong → CERT_MALFORMED', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v0.2.0-certificate')!;
    const b = JSON.parse(readFileSync(sigPath(g), 'utf8'));
    const der = Buffer.from(b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes, 'base64');
    expect(der.subarray(0, 4)).toEqual(Buffer.from([0x30, 0x82, 0x03, 0x0c]));
    der[3] = 0x08;
    b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = der.toString('base64');
    const r = await run(g, { bundle: JSON.stringify(b) });
    expect(r.errors[0]?.code).toBe('CERT_MALFORMED');
  });
});

describe('certificate signature BIT STRING (found by the fuzzer)', () => {
  it('unused bits in the signature value → CERT_MALFORMED', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.0.1-certificate')!;
    const b = JSON.parse(readFileSync(sigPath(g), 'utf8'));
    const der = Buffer.from(b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes, 'base64');
    expect(der.subarray(395, 400)).toEqual(Buffer.from([0x03, 0x82, 0x01, 0x81, 0x00]));
    der[399] = 0x01;
    b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = der.toString('base64');
    const r = await run(g, { bundle: JSON.stringify(b) });
    expect(r.errors[0]?.code).toBe('CERT_MALFORMED');
  });
});
