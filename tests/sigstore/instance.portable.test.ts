/**
 * Bundles from a private test instance (real crypto, test-double services): message signatures (file and
 * digest), Rekor v2 (Ed25519 checkpoints, TSA required), DSSE on Rekor v2, managed keys, claims and SANs,
 * certificate usage. Runs in Node, Chromium and workerd.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { parseBundle } from '../../core/bundle/reader.js';
import { publicKeyFromPem } from '../../core/crypto/keys.js';
import { parseTrustRoot, verifySigstoreBundle, type Artifact, type TrustRoot } from '../../core/sigstore/index.js';
import { sha256, utf8Encode } from '../../core/util/bytes.js';
import { createInstance, type Instance } from './instance.js';

let inst: Instance & { keyPem: () => Promise<string> };
let trust: TrustRoot;
const artifact = utf8Encode('hello, artifact\n');
const who = (identity = 'signer@example.com', issuer = 'https://issuer.test', extra: Record<string, unknown> = {}) =>
  ({ kind: 'identity', policy: { method: 'sigstore', identity, issuer, ...extra } }) as const;
const statement = async (data: Uint8Array) =>
  utf8Encode(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a', digest: { sha256: Array.from(await sha256(data), (b) => b.toString(16).padStart(2, '0')).join('') } }],
      predicateType: 'https://example.com/p',
      predicate: {},
    }),
  );
const verify = async (bundle: string, w: Parameters<typeof verifySigstoreBundle>[1] = who(), a?: Artifact) =>
  verifySigstoreBundle(parseBundle(bundle), w, trust, a);
const code = (c: string) => expect.objectContaining({ code: c });

beforeAll(async () => {
  inst = await createInstance();
  trust = parseTrustRoot(inst.trustedRoot, 'test instance');
});

describe('message signatures (hashedrekord)', () => {
  test('Rekor v1: file and digest input', async () => {
    const b = await inst.bundle({ artifact, rekor: 'v1' });
    const r = await verify(b, who(), { bytes: artifact });
    expect(r.signer.log).toMatchObject({ kind: 'hashedrekord 0.0.1', url: 'https://rekor.test', logIndex: '1003' });
    await verify(b, who(), { digest: { algorithm: 'SHA-256', value: await sha256(artifact) } });
    await expect(verify(b, who(), { bytes: utf8Encode('another artifact') })).rejects.toEqual(code('ARTIFACT_MISMATCH'));
    await expect(verify(b, who(), { digest: { algorithm: 'SHA-256', value: await sha256(utf8Encode('x')) } })).rejects.toEqual(code('ARTIFACT_MISMATCH'));
    await expect(verify(b, who())).rejects.toEqual(code('ARTIFACT_MISMATCH'));
  });
  test('Rekor v2 with a TSA timestamp verifies; without one it is refused', async () => {
    const b = await inst.bundle({ artifact, rekor: 'v2', tsa: true });
    const r = await verify(b, who(), { bytes: artifact });
    expect(r.signer.log).toMatchObject({ kind: 'hashedrekord 0.0.2', url: 'https://log2026-1.rekor.test' });
    expect(r.signer.log?.integratedTime).toBeUndefined();
    expect(r.signer.timestamps).toEqual([expect.objectContaining({ source: 'rfc3161', authority: 'https://tsa.test' })]);
    await verify(b, who(), { digest: { algorithm: 'SHA-256', value: await sha256(artifact) } });
    await expect(verify(await inst.bundle({ artifact, rekor: 'v2' }), who(), { bytes: artifact })).rejects.toEqual(code('TIMESTAMP_MISSING'));
  });
  test('Rekor v2: the unsigned top-level log index must equal the proven one', async () => {
    const j = JSON.parse(await inst.bundle({ artifact, rekor: 'v2', tsa: true }));
    expect((await verify(JSON.stringify(j), who(), { bytes: artifact })).signer.log?.logIndex).toBe(
      j.verificationMaterial.tlogEntries[0].inclusionProof.logIndex,
    );
    j.verificationMaterial.tlogEntries[0].logIndex = '999';
    await expect(verify(JSON.stringify(j), who(), { bytes: artifact })).rejects.toEqual(code('TLOG_INVALID'));
  });
  test('a BER timestamp token (constructed eContent, as pkijs writes) is accepted', async () => {
    await verify(await inst.bundle({ artifact, rekor: 'v2', tsa: 'ber' }), who(), { bytes: artifact });
  });
  test('Rekor v1 entry plus a TSA timestamp: two verified times', async () => {
    const r = await verify(await inst.bundle({ artifact, rekor: 'v1', tsa: true }), who(), { bytes: artifact });
    expect(r.signer.timestamps?.map((t) => t.source).sort()).toEqual(['rfc3161', 'tlog']);
  });
});

describe('DSSE on Rekor v2', () => {
  test('hashedrekord 0.0.2 over the PAE, and dsse 0.0.2', async () => {
    const st = await statement(artifact);
    for (const kind of ['hashedrekord', 'dsse'] as const) {
      const b = await inst.bundle({ statement: st, rekor: 'v2', kind, tsa: true });
      const r = await verify(b, who(), { bytes: artifact });
      expect(r.signer.log?.kind).toBe(`${kind} 0.0.2`);
      await expect(verify(b, who(), { bytes: utf8Encode('not the subject') })).rejects.toEqual(code('ARTIFACT_MISMATCH'));
    }
  });
  test('legacy intoto 0.0.2 entries on Rekor v1', async () => {
    const b = await inst.bundle({ statement: await statement(artifact), rekor: 'v1', kind: 'intoto' });
    expect((await verify(b, who(), { bytes: artifact })).signer.log?.kind).toBe('intoto 0.0.2');
  });
  test('DSSE on Rekor v1 without artifact (the OMS path)', async () => {
    await verify(await inst.bundle({ statement: await statement(artifact), rekor: 'v1' }));
  });
});

describe('certificates and identities', () => {
  test('URI and otherName SANs, claims', async () => {
    const uri = 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1';
    const b = await inst.bundle({
      artifact,
      rekor: 'v1',
      leaf: {
        san: { uri, otherName: 'octo-user!github.com' },
        issuer: 'https://token.actions.githubusercontent.com',
        claims: { '12': 'https://github.com/org/repo', '14': 'refs/tags/v1', '23': 'unnamed claim' },
      },
    });
    const gh = 'https://token.actions.githubusercontent.com';
    const r = await verify(b, who(uri, gh, { claims: { sourceRepositoryURI: 'https://github.com/org/repo', sourceRepositoryRef: 'refs/tags/v1' } }), {
      bytes: artifact,
    });
    expect(r.signer).toMatchObject({
      identity: uri,
      claims: { sourceRepositoryURI: 'https://github.com/org/repo', '1.3.6.1.4.1.57264.1.23': 'unnamed claim' },
    });
    await verify(b, who('octo-user!github.com', gh), { bytes: artifact });
    await verify(
      b,
      { kind: 'identity', policy: { method: 'sigstore', issuer: gh, identityRegexp: 'https://github\\.com/org/repo/\\.github/workflows/.*' } },
      { bytes: artifact },
    );
    await expect(verify(b, who(uri, gh, { claims: { sourceRepositoryRef: 'refs/heads/main' } }), { bytes: artifact })).rejects.toEqual(code('CLAIM_MISMATCH'));
  });
  test('KeyUsage digitalSignature and EKU codeSigning are required', async () => {
    await expect(verify(await inst.bundle({ artifact, rekor: 'v1', leaf: { codeSigning: false } }), who(), { bytes: artifact })).rejects.toEqual(
      code('CERT_USAGE'),
    );
    await expect(verify(await inst.bundle({ artifact, rekor: 'v1', leaf: { digitalSignature: false } }), who(), { bytes: artifact })).rejects.toEqual(
      code('CERT_USAGE'),
    );
  });
  test('SCTs: required; extensions are part of the signed data', async () => {
    await expect(verify(await inst.bundle({ artifact, rekor: 'v1', leaf: { withSct: false } }), who(), { bytes: artifact })).rejects.toEqual(
      code('SCT_INVALID'),
    );
    await verify(await inst.bundle({ artifact, rekor: 'v1', leaf: { sctExtensions: Uint8Array.of(0, 0, 5, 0, 0, 0, 0, 42) } }), who(), { bytes: artifact });
  });
  test('signed outside the CA validity window', async () => {
    await expect(verify(await inst.bundle({ artifact, rekor: 'v1', signedAt: new Date('2023-06-01T00:00:00Z') }), who(), { bytes: artifact })).rejects.toEqual(
      code('TLOG_SET_INVALID'),
    );
  });
});

describe('managed keys (--key)', () => {
  test('key-mode bundle verifies with the key, not with another', async () => {
    const b = await inst.bundle({ artifact, rekor: 'v1', keyMode: true });
    const key = publicKeyFromPem(await inst.keyPem());
    const r = await verify(b, { kind: 'key', key }, { bytes: artifact });
    // Key mode proves the log entry and the times only: no identity or certificate fields at all.
    expect(r.signer).toEqual({
      method: 'sigstore',
      log: expect.objectContaining({ logIndex: expect.any(String) }),
      timestamps: [expect.objectContaining({ source: 'tlog' })],
    });
    const other = await createInstance();
    await expect(verify(b, { kind: 'key', key: publicKeyFromPem(await other.keyPem()) }, { bytes: artifact })).rejects.toEqual(code('SIGNATURE_INVALID'));
  });
});
