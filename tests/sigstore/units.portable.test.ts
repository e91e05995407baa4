/** Unit tests per concern (Merkle, checkpoint, SET, SCT, RFC 3161, chain, policy, trust root, body, crypto). */
import { describe, expect, test } from 'vitest';
import { parseBundle } from '../../core/bundle/reader.js';
import { parseSpki } from '../../core/crypto/keys.js';
import { p1363ToDer } from '../../core/crypto/ecdsa-sig.js';
import { rsaPkcs1ToSpki, verifyBytes, verifyEcdsaPrehashed } from '../../core/crypto/verify.js';
import { checkPolicyShape, matchIdentity } from '../../core/policy/identity.js';
import { embeddedTrustRoot } from '../../core/sigstore/index.js';
import { parseSctList, precertTbs, verifyScts } from '../../core/sigstore/sct.js';
import { verifySigningCertificate } from '../../core/sigstore/signer.js';
import { parseTimestamp, verifyTimestamp } from '../../core/sigstore/timestamp/rfc3161.js';
import { checkBody } from '../../core/sigstore/tlog/body.js';
import { parseCheckpoint, verifyCheckpoint } from '../../core/sigstore/tlog/checkpoint.js';
import { parseTlogEntry } from '../../core/sigstore/tlog/entry.js';
import { leafHash, rootFromProof, verifyInclusion } from '../../core/sigstore/tlog/merkle.js';
import { setPayload, verifySet } from '../../core/sigstore/tlog/set.js';
import { parseTrustRoot, within } from '../../core/sigstore/trust-root.js';
import { concatBytes, equalBytes, fromBase64, sha256, toHex, utf8Encode } from '../../core/util/bytes.js';
import { extension, OID, parseCertificate, validity } from '../../core/x509/certificate.js';
import { fulcioIdentity } from '../../core/x509/fulcio.js';
import { GOLDENS, IDENTITY, ISSUER } from './fixtures.js';
import { auditPath, mth } from './merkle-ref.js';
import { productionRootJson } from './roots.js';
import { ecdsaLog, ed25519Log, signNote } from './testkeys.js';

const code = (c: string) => expect.objectContaining({ code: c });
const golden = (name: string) => GOLDENS.find((g) => g.name === name)!;
const bundleOf = (name: string) => parseBundle(golden(name).bundle);
const entryOf = (name: string) => parseTlogEntry(bundleOf(name).tlogEntries[0], 0);
const leafOf = (name: string) => {
  const m = bundleOf(name).material;
  if (m.kind !== 'certificate') throw new Error('fixture');
  return parseCertificate(m.certificate);
};

describe('Merkle inclusion proofs (RFC 6962)', () => {
  const path = auditPath;
  const leaves = Array.from({ length: 13 }, (_, i) => utf8Encode(`leaf ${i}`));

  test('every leaf of trees of size 1..13 verifies against MTH', async () => {
    for (let n = 1; n <= 13; n++) {
      const tree = leaves.slice(0, n);
      const root = await mth(tree);
      for (let m = 0; m < n; m++) {
        const proof = await path(m, tree);
        await verifyInclusion(BigInt(m), BigInt(n), await leafHash(tree[m]!), proof, root);
      }
    }
  });
  test('wrong, extra, missing or out-of-range proofs fail', async () => {
    const tree = leaves.slice(0, 11);
    const root = await mth(tree);
    const proof = await path(5, tree);
    const leaf = await leafHash(tree[5]!);
    await expect(verifyInclusion(5n, 11n, leaf, [...proof, proof[0]!], root)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
    await expect(verifyInclusion(5n, 11n, leaf, proof.slice(1), root)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
    await expect(verifyInclusion(4n, 11n, leaf, proof, root)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
    await expect(verifyInclusion(11n, 11n, leaf, proof, root)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
    await expect(verifyInclusion(5n, 11n, leaf, [proof[1]!, proof[0]!, ...proof.slice(2)], root)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
    await expect(rootFromProof(0n, 1n, leaf, [])).resolves.toEqual(leaf);
  });
  test('golden proofs use the shard-local index', async () => {
    const e = entryOf('v1.0.1-sigstore');
    const cp = parseCheckpoint(e.proof!.checkpoint);
    await verifyInclusion(e.proof!.logIndex, cp.size, await leafHash(e.body), e.proof!.hashes, cp.rootHash);
    await expect(verifyInclusion(e.logIndex, cp.size, await leafHash(e.body), e.proof!.hashes, cp.rootHash)).rejects.toEqual(code('TLOG_PROOF_INVALID'));
  });
});

describe('checkpoints (C2SP signed notes)', () => {
  test('golden Rekor v1 checkpoint', async () => {
    const e = entryOf('v1.1.0-sigstore');
    const cp = parseCheckpoint(e.proof!.checkpoint);
    expect(cp.origin).toBe('rekor.sigstore.dev - 1193050959916656506');
    expect(cp.size).toBe(e.proof!.treeSize);
    expect(equalBytes(cp.rootHash, e.proof!.rootHash)).toBe(true);
    expect(cp.signatures.map((s) => s.name)).toEqual(['rekor.sigstore.dev']);
    await verifyCheckpoint(cp, embeddedTrustRoot().tlogs[0]!);
  });
  const body = (origin: string, ext: string[] = []) => [origin, '42', 'V0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=', ...ext].join('\n') + '\n';

  test('odd but valid notes: extension lines, cosignatures before and after, Ed25519 (Rekor v2) and ECDSA logs', async () => {
    const v2 = await ed25519Log('log2025-1.rekor.example.dev');
    const v1 = await ecdsaLog('rekor.example.dev');
    const witness = await ed25519Log('witness.example.org');
    const n2 = await signNote(body('log2025-1.rekor.example.dev', ['extension line one', 'x']), [
      { name: 'witness.example.org', t: witness },
      { name: 'unknown.example', t: null },
      { name: 'log2025-1.rekor.example.dev', t: v2 },
    ]);
    await verifyCheckpoint(parseCheckpoint(n2), v2.log);
    const n1 = await signNote(body('rekor.example.dev - 2605736670972794746'), [
      { name: 'rekor.example.dev', t: v1 },
      { name: 'witness.example.org', t: witness },
    ]);
    const cp = parseCheckpoint(n1);
    expect(cp.size).toBe(42n);
    await verifyCheckpoint(cp, v1.log);
  });
  test('unsigned by the log, wrong origin, forged text or signature', async () => {
    const v1 = await ecdsaLog('rekor.example.dev');
    const other = await ecdsaLog('rekor.example.dev');
    const onlyWitness = await signNote(body('rekor.example.dev - 1'), [{ name: 'witness', t: other, hint: Uint8Array.of(1, 2, 3, 4) }]);
    await expect(verifyCheckpoint(parseCheckpoint(onlyWitness), v1.log)).rejects.toEqual(code('TLOG_CHECKPOINT_INVALID'));
    // Right hint and name, wrong key.
    const forged = await signNote(body('rekor.example.dev - 1'), [{ name: 'rekor.example.dev', t: other, hint: v1.log.logId.subarray(0, 4) }]);
    await expect(verifyCheckpoint(parseCheckpoint(forged), v1.log)).rejects.toEqual(code('TLOG_CHECKPOINT_INVALID'));
    const foreign = await signNote(body('other.example.dev - 1'), [{ name: 'rekor.example.dev', t: v1 }]);
    await expect(verifyCheckpoint(parseCheckpoint(foreign), v1.log)).rejects.toEqual(code('TLOG_CHECKPOINT_INVALID'));
    const good = await signNote(body('rekor.example.dev - 1'), [{ name: 'rekor.example.dev', t: v1 }]);
    await expect(verifyCheckpoint(parseCheckpoint(good.replace('\n42\n', '\n43\n')), v1.log)).rejects.toEqual(code('TLOG_CHECKPOINT_INVALID'));
  });
  test.each([
    ['no blank line', 'o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\u2014 o AAAAAAAA\n'],
    ['missing root hash', 'o\n1\n\n\u2014 o AAAAAAAA\n'],
    ['non-decimal size', 'o\n0x10\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\u2014 o AAAAAAAA\n'],
    ['short root hash', 'o\n1\nAAAA\n\n\u2014 o AAAAAAAA\n'],
    ['hyphen instead of em dash', 'o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n- o AAAAAAAA\n'],
    ['no signature', 'o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n'],
    ['no final newline', 'o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\u2014 o AAAAAAAA'],
    ['empty origin', '\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\u2014 o AAAAAAAA\n'],
    ['signature too short', 'o\n1\nV0NA1ekHc4sMtyOk9+rSfb50+v1kFb/0QXYbxrm43gk=\n\n\u2014 o AAAA\n'],
  ])('malformed note: %s', (_name, note) => {
    expect(() => parseCheckpoint(note)).toThrow(expect.objectContaining({ code: 'TLOG_CHECKPOINT_INVALID' }));
  });
});

describe('signed entry timestamps', () => {
  test('canonical JSON payload with the global log index', () => {
    const e = entryOf('v0.3.1-sigstore');
    const text = new TextDecoder().decode(setPayload(e));
    expect(text).toMatch(
      /^\{"body":"eyJ[A-Za-z0-9+/=]+","integratedTime":1746234602,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d","logIndex":206342049\}$/,
    );
  });
  test('verifies with the production Rekor key, fails for the shard index or a log not yet valid', async () => {
    const trust = embeddedTrustRoot();
    const e = entryOf('v1.0.0-sigstore');
    expect((await verifySet(e, trust)).baseUrl).toBe('https://rekor.sigstore.dev');
    await expect(verifySet({ ...e, logIndex: e.proof!.logIndex }, trust)).rejects.toEqual(code('TLOG_SET_INVALID'));
    const late = productionRootJson();
    late.tlogs[0].publicKey.validFor.start = '2025-06-01T00:00:00Z';
    await expect(verifySet(e, parseTrustRoot(late, 't'))).rejects.toEqual(code('TLOG_SET_INVALID'));
  });
});

describe('SCTs', () => {
  test('golden leaf: one SCT from ctfe.sigstore.dev/2022 over the rebuilt pre-certificate', async () => {
    const leaf = leafOf('v1.1.0-sigstore');
    const trust = embeddedTrustRoot();
    const ext = extension(leaf, OID.sctList)!;
    const list = parseSctList(new Uint8Array(ext.extnValue.valueBlock.valueHexView).subarray(2));
    expect(list).toHaveLength(1);
    expect(toHex(list[0]!.logId)).toBe(toHex(trust.ctlogs[1]!.logId));
    const tbs = precertTbs(leaf);
    expect(tbs.length).toBeLessThan(leaf.cert.tbsView.length);
    expect(toHex(tbs)).not.toContain('060a2b06010401d679020402'); // the SCT-list OID is gone
    const chainIssuer = trust.cas[1]!.certs[0]!;
    await expect(verifyScts(leaf, chainIssuer, trust)).resolves.toBe(1);
    // The issuer key hash must be the intermediate's, not the root's.
    await expect(verifyScts(leaf, trust.cas[1]!.certs[1]!, trust)).rejects.toEqual(code('SCT_INVALID'));
  });
  test('CT log not valid at the SCT time; malformed lists', async () => {
    const r = productionRootJson();
    r.ctlogs[1].publicKey.validFor.end = '2023-01-01T00:00:00Z';
    const trust = parseTrustRoot(r, 't');
    await expect(verifyScts(leafOf('v1.0.0-sigstore'), trust.cas[1]!.certs[0]!, trust)).rejects.toEqual(code('SCT_INVALID'));
    expect(() => parseSctList(Uint8Array.of(0, 5, 0, 3, 0))).toThrow(expect.objectContaining({ code: 'SCT_INVALID' }));
    expect(() => parseSctList(Uint8Array.of(0, 3, 0, 1, 1))).toThrow(expect.objectContaining({ code: 'SCT_INVALID' }));
  });
});

describe('RFC 3161 timestamps', () => {
  const token = () =>
    fromBase64(JSON.parse(golden('v1.1.0-sigstore').bundle).verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, 't');
  const sig = () => {
    const c = bundleOf('v1.1.0-sigstore').content;
    if (c.kind !== 'dsse') throw new Error('fixture');
    return c.envelope.signatures[0]!.sig;
  };
  test('golden token: genTime inside the leaf validity, signed by the production TSA', async () => {
    const ts = parseTimestamp(token());
    const { notBefore, notAfter } = validity(leafOf('v1.1.0-sigstore'));
    expect(ts.genTime >= notBefore && ts.genTime <= notAfter).toBe(true);
    expect(ts.imprintHash).toBe('SHA-256');
    const v = await verifyTimestamp(token(), sig(), embeddedTrustRoot());
    expect(v.authority).toBe('https://timestamp.sigstore.dev/api/v1/timestamp');
  });
  test('imprint over another signature, TSA not yet valid, TSA missing, truncated or garbage token', async () => {
    const trust = embeddedTrustRoot();
    await expect(verifyTimestamp(token(), utf8Encode('another signature'), trust)).rejects.toEqual(code('TIMESTAMP_INVALID'));
    const late = productionRootJson();
    late.timestampAuthorities[0].validFor.start = '2026-01-01T00:00:00Z';
    await expect(verifyTimestamp(token(), sig(), parseTrustRoot(late, 't'))).rejects.toEqual(code('TIMESTAMP_INVALID'));
    const none = productionRootJson();
    none.timestampAuthorities = [];
    await expect(verifyTimestamp(token(), sig(), parseTrustRoot(none, 't'))).rejects.toEqual(code('TIMESTAMP_INVALID'));
    await expect(verifyTimestamp(token().subarray(0, 200), sig(), trust)).rejects.toEqual(code('TIMESTAMP_INVALID'));
    await expect(verifyTimestamp(utf8Encode('not a timestamp'), sig(), trust)).rejects.toEqual(code('TIMESTAMP_INVALID'));
  });
});

describe('signing certificate chain', () => {
  test('valid at both ends of the leaf validity (closed), not outside', async () => {
    const leaf = leafOf('v1.0.0-sigstore');
    const trust = embeddedTrustRoot();
    const { notBefore, notAfter } = validity(leaf);
    const at = (d: Date) => [{ source: 'tlog' as const, at: d, time: d.toISOString() }];
    expect((await verifySigningCertificate(leaf, at(notBefore), trust)).length).toBe(3);
    expect((await verifySigningCertificate(leaf, at(notAfter), trust)).length).toBe(3);
    await expect(verifySigningCertificate(leaf, at(new Date(notBefore.getTime() - 1000)), trust)).rejects.toEqual(code('CERT_NOT_YET_VALID'));
    await expect(verifySigningCertificate(leaf, at(new Date(notAfter.getTime() + 1000)), trust)).rejects.toEqual(code('CERT_EXPIRED'));
    // Every verified time counts: one bad time fails the chain.
    await expect(verifySigningCertificate(leaf, [...at(notBefore), ...at(new Date(notAfter.getTime() + 1000))], trust)).rejects.toEqual(code('CERT_EXPIRED'));
  });
  test('Fulcio identity: e-mail SAN, v2 issuer (.1.8) preferred over .1.1', () => {
    const id = fulcioIdentity(leafOf('v1.1.0-sigstore'));
    expect(id.sans).toEqual([IDENTITY]);
    expect(id.issuer).toBe(ISSUER);
  });
});

describe('identity policy', () => {
  const who = {
    sans: ['https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1'],
    issuer: 'https://token.actions.githubusercontent.com',
    claims: { sourceRepositoryURI: 'https://github.com/org/repo', sourceRepositoryRef: 'refs/tags/v1' },
  };
  const base = { method: 'sigstore' as const, issuer: who.issuer };
  test('exact identity and issuer, anchored regexp, claims', () => {
    expect(matchIdentity({ ...base, identity: who.sans[0] }, who)).toBe(who.sans[0]);
    expect(matchIdentity({ ...base, identityRegexp: 'https://github\\.com/org/repo/.*' }, who)).toBe(who.sans[0]);
    expect(matchIdentity({ ...base, identityRegexp: 'x|https://github\\.com/org/repo/.*' }, who)).toBe(who.sans[0]);
    expect(() => matchIdentity({ ...base, identityRegexp: 'github\\.com/org/repo' }, who)).toThrow(expect.objectContaining({ code: 'IDENTITY_MISMATCH' }));
    expect(() => matchIdentity({ ...base, identity: who.sans[0]!.toUpperCase() }, who)).toThrow(expect.objectContaining({ code: 'IDENTITY_MISMATCH' }));
    expect(() => matchIdentity({ ...base, identity: who.sans[0], issuer: who.issuer + '/' }, who)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    );
    expect(matchIdentity({ ...base, identity: who.sans[0], claims: { sourceRepositoryRef: 'refs/tags/v1' } }, who)).toBe(who.sans[0]);
    expect(() => matchIdentity({ ...base, identity: who.sans[0], claims: { sourceRepositoryRef: 'refs/heads/main' } }, who)).toThrow(
      expect.objectContaining({ code: 'CLAIM_MISMATCH' }),
    );
    expect(() => matchIdentity({ ...base, identity: who.sans[0], claims: { buildTrigger: 'push' } }, who)).toThrow(
      expect.objectContaining({ code: 'CLAIM_MISMATCH' }),
    );
  });
  test('policies that would accept anyone are refused', () => {
    expect(() => checkPolicyShape({ ...base })).toThrow(expect.objectContaining({ code: 'INPUT_MISSING' }));
    expect(() => checkPolicyShape({ method: 'sigstore', issuer: '', identity: 'x' })).toThrow(expect.objectContaining({ code: 'INPUT_MISSING' }));
    expect(() => checkPolicyShape({ ...base, identityRegexp: '(' })).toThrow(expect.objectContaining({ code: 'POLICY_INVALID' }));
  });
});

describe('trust roots', () => {
  test('closed validity intervals; a key without validFor.start is rejected', () => {
    const v = { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-02-01T00:00:00Z') };
    expect(within(v, v.start)).toBe(true);
    expect(within(v, v.end)).toBe(true);
    expect(within(v, new Date(v.end.getTime() + 1))).toBe(false);
    const r = productionRootJson();
    delete r.ctlogs[0].publicKey.validFor.start;
    expect(() => parseTrustRoot(r, 't')).toThrow(expect.objectContaining({ code: 'TRUST_ROOT_INVALID' }));
    const r2 = productionRootJson();
    r2.certificateAuthorities[0].validFor.end = '2020-01-01T00:00:00Z';
    expect(() => parseTrustRoot(r2, 't')).toThrow(expect.objectContaining({ code: 'TRUST_ROOT_INVALID' }));
    const r3 = productionRootJson();
    r3.tlogs[0].publicKey.validFor.start = 'yesterday';
    expect(() => parseTrustRoot(r3, 't')).toThrow(expect.objectContaining({ code: 'TRUST_ROOT_INVALID' }));
    expect(() => parseTrustRoot({ mediaType: 'application/json' }, 't')).toThrow(expect.objectContaining({ code: 'TRUST_ROOT_INVALID' }));
    expect(() => parseTrustRoot('[]', 't')).toThrow(expect.objectContaining({ code: 'TRUST_ROOT_INVALID' }));
  });
  test('ClientTrustConfig in camelCase and snake_case', () => {
    const root = productionRootJson();
    expect(parseTrustRoot({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot: root }, 't').tlogs).toHaveLength(2);
    expect(parseTrustRoot({ mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trusted_root: root }, 't').cas).toHaveLength(2);
  });
  test('raw PKCS#1 RSA log keys are wrapped into SPKI', async () => {
    const k = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey));
    const pkcs1 = spki.subarray(spki.length - 270); // 2048-bit RSAPublicKey is the trailing 270 bytes of its SPKI
    expect(toHex(rsaPkcs1ToSpki(pkcs1))).toBe(toHex(spki));
    const r = productionRootJson();
    r.ctlogs.push({
      ...r.ctlogs[1],
      publicKey: { rawBytes: btoa(String.fromCharCode(...pkcs1)), keyDetails: 'PKCS1_RSA_PKCS1V5', validFor: { start: '2024-01-01T00:00:00Z' } },
    });
    const t = parseTrustRoot(r, 't');
    expect(t.ctlogs[2]!.key.algorithm).toEqual({ kind: 'rsa', bits: 2048 });
    const data = utf8Encode('note');
    const sig = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', k.privateKey, data));
    expect(await verifyBytes(t.ctlogs[2]!.key, t.ctlogs[2]!.scheme, sig, data)).toBe(true);
  });
});

describe('log body consistency', () => {
  test("another bundle's entry does not describe this bundle", async () => {
    const b = bundleOf('v1.0.0-sigstore');
    const leaf = leafOf('v1.0.0-sigstore');
    await checkBody(entryOf('v1.0.0-sigstore'), b, { kind: 'certificate', der: leaf.der });
    await expect(checkBody(entryOf('v0.3.1-sigstore'), b, { kind: 'certificate', der: leaf.der })).rejects.toEqual(code('TLOG_BODY_MISMATCH'));
    // Same entry, another certificate.
    await expect(checkBody(entryOf('v1.0.0-sigstore'), b, { kind: 'certificate', der: leafOf('v0.3.1-sigstore').der })).rejects.toEqual(
      code('TLOG_BODY_MISMATCH'),
    );
    // Declared kind differs from the body.
    await expect(checkBody({ ...entryOf('v1.0.0-sigstore'), kind: 'hashedrekord' }, b, { kind: 'certificate', der: leaf.der })).rejects.toEqual(
      code('TLOG_BODY_MISMATCH'),
    );
  });
});

describe('signature primitives', () => {
  test('pre-hashed ECDSA (noble) agrees with WebCrypto, P-256 and P-384, and accepts high-S', async () => {
    for (const [curve, hash, n] of [
      ['P-256', 'SHA-256', 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
      ['P-384', 'SHA-384', 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n],
    ] as const) {
      const k = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const key = parseSpki(new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey)));
      const data = utf8Encode('artifact bytes');
      const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash }, k.privateKey, data));
      const digest = new Uint8Array(await crypto.subtle.digest(hash, data));
      expect(verifyEcdsaPrehashed(key, digest, p1363ToDer(raw))).toBe(true);
      expect(await verifyBytes(key, { name: 'ECDSA', hash }, p1363ToDer(raw), data)).toBe(true);
      // (r, n - s) is the other valid signature: OpenSSL, Go and WebCrypto accept it, so must we.
      const size = raw.length / 2;
      const s = BigInt('0x' + toHex(raw.subarray(size)));
      const hi = (n - s).toString(16).padStart(size * 2, '0');
      const highS = concatBytes(raw.subarray(0, size), Uint8Array.from(hi.match(/../g)!.map((x) => parseInt(x, 16))));
      expect(verifyEcdsaPrehashed(key, digest, p1363ToDer(highS))).toBe(true);
      digest[0]! ^= 1;
      expect(verifyEcdsaPrehashed(key, digest, p1363ToDer(raw))).toBe(false);
    }
  });
  test('Ed25519 and RSA-PSS over WebCrypto', async () => {
    const data = utf8Encode('checkpoint');
    const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const edKey = parseSpki(new Uint8Array(await crypto.subtle.exportKey('spki', ed.publicKey)));
    const edSig = new Uint8Array(await crypto.subtle.sign('Ed25519', ed.privateKey, data));
    expect(await verifyBytes(edKey, { name: 'Ed25519' }, edSig, data)).toBe(true);
    expect(await verifyBytes(edKey, { name: 'Ed25519' }, edSig, utf8Encode('other'))).toBe(false);
    const pss = (await crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const pssKey = parseSpki(new Uint8Array(await crypto.subtle.exportKey('spki', pss.publicKey)));
    const pssSig = new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, pss.privateKey, data));
    expect(await verifyBytes(pssKey, { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 }, pssSig, data)).toBe(true);
    await expect(verifyBytes(pssKey, { name: 'ECDSA', hash: 'SHA-256' }, pssSig, data)).rejects.toEqual(code('KEY_MISMATCH'));
  });
});
