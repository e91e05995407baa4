/**
 * The four Sigstore goldens verify offline with the embedded production root, and every tampered variant fails
 * with its reason. Runs in Node, Chromium and workerd (fixtures are `?raw` imports).
 */
import { describe, expect, test } from 'vitest';
import { verifyModel, verifySignature } from '../../core/verify/verify-model.js';
import { parseTrustRoot } from '../../core/sigstore/trust-root.js';
import { CUSTOM_TRUST_CONFIG, GOLDENS, IDENTITY, ISSUER, POLICY, sourceFor } from './fixtures.js';
import { OTHER_ROOTS } from './roots.js';
import { tamper } from './tamper.js';

describe.each(GOLDENS)('$name', (g) => {
  test('verifies offline with the embedded production root', async () => {
    const r = await verifyModel(sourceFor(g), g.bundle, POLICY, { ignorePaths: g.ignore });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.resources.filter((x) => x.status === 'ok').map((x) => x.name)).toEqual(['signme-1', 'signme-2']);
    const s = r.signer!;
    if (s.method !== 'sigstore') throw new Error(`expected a sigstore signer, got ${s.method}`);
    expect(s.identity).toBe(IDENTITY);
    expect(s.issuer).toBe(ISSUER);
    expect(s.certificate?.issuer).toBe('O=sigstore.dev, CN=sigstore-intermediate');
    expect(s.chain?.map((c) => c.subject)).toEqual(['', 'O=sigstore.dev, CN=sigstore-intermediate', 'O=sigstore.dev, CN=sigstore']);
    expect(s.log).toMatchObject({ logId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=', kind: 'dsse 0.0.1', url: 'https://rekor.sigstore.dev' });
    expect(s.log?.logIndex).toBe(JSON.parse(g.bundle).verificationMaterial.tlogEntries[0].logIndex);
    expect(Date.parse(s.log!.integratedTime!)).toBeGreaterThanOrEqual(Date.parse(s.certificate!.notBefore));
    expect(Date.parse(s.log!.integratedTime!)).toBeLessThanOrEqual(Date.parse(s.certificate!.notAfter));
    expect(s.timestamps?.map((t) => t.source).sort()).toEqual(g.hasTimestamp ? ['rfc3161', 'tlog'] : ['tlog']);
    if (g.hasTimestamp) expect(s.timestamps?.find((t) => t.source === 'rfc3161')?.authority).toBe('https://timestamp.sigstore.dev/api/v1/timestamp');
    expect(r.trustRoot?.source).toContain('@sigstore/tuf');
    expect(r.trustRoot?.date).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  test('an unsigned extra file fails unless ignored (by the caller or the recorded ignore_paths)', async () => {
    const r = await verifyModel(sourceFor(g), g.bundle, POLICY);
    const recorded = r.serialization?.ignorePaths.includes('ignore-me') ?? false;
    expect(r.verified).toBe(g.ignore.length === 0 || recorded);
    if (!r.verified) expect(r.errors[0]?.code).toBe('UNSIGNED_FILE');
  });

  test('another identity is rejected', async () => {
    await expect(verifySignature(g.bundle, { ...POLICY, identity: 'someone@example.com' })).rejects.toMatchObject({ code: 'IDENTITY_MISMATCH' });
  });
  test('another issuer is rejected', async () => {
    await expect(verifySignature(g.bundle, { ...POLICY, issuer: 'https://accounts.google.com' })).rejects.toMatchObject({ code: 'ISSUER_MISMATCH' });
  });
  test('identity regexp is anchored', async () => {
    await expect(verifySignature(g.bundle, { method: 'sigstore', issuer: ISSUER, identityRegexp: '.*@us\\.ibm\\.com' })).resolves.toBeTruthy();
    await expect(verifySignature(g.bundle, { method: 'sigstore', issuer: ISSUER, identityRegexp: 'stefanb' })).rejects.toMatchObject({
      code: 'IDENTITY_MISMATCH',
    });
  });
  test('keyless verification without an identity is refused', async () => {
    await expect(verifySignature(g.bundle, { method: 'sigstore', issuer: ISSUER })).rejects.toMatchObject({ code: 'INPUT_MISSING' });
  });

  const expected: Record<string, string | null> = {
    'certificate bit': 'CERT_CHAIN_UNTRUSTED',
    'certificate identity': 'CERT_CHAIN_UNTRUSTED',
    SET: 'TLOG_SET_INVALID',
    'integrated time': 'TLOG_SET_INVALID',
    'inclusion proof hash': 'TLOG_PROOF_INVALID',
    'inclusion proof dropped hash': 'TLOG_PROOF_INVALID',
    'checkpoint signature': 'TLOG_CHECKPOINT_INVALID',
    'checkpoint root': 'TLOG_CHECKPOINT_INVALID',
    'timestamp token': g.hasTimestamp ? 'TIMESTAMP_INVALID' : null,
    'timestamp duplicated': g.hasTimestamp ? 'TIMESTAMP_INVALID' : null,
    // The RFC 3161 imprint covers the signature bytes, and times are checked first.
    'DSSE signature': g.hasTimestamp ? 'TIMESTAMP_INVALID' : 'SIGNATURE_INVALID',
    payload: 'SIGNATURE_INVALID',
    // The SET signs the body, so a changed body breaks the SET first (body mismatch: see units).
    'log body': 'TLOG_SET_INVALID',
    'tlog entry removed': 'TLOG_MISSING',
  };
  for (const [name, code] of Object.entries(expected)) {
    if (code === null) continue;
    test(`tampered: ${name} → ${code}`, async () => {
      const bad = tamper(g.bundle, name)!;
      const r = await verifyModel(sourceFor(g), bad, POLICY, { ignorePaths: g.ignore });
      expect(r.verified).toBe(false);
      expect(r.errors[0]?.code).toBe(code);
    });
  }

  for (const [name, { root, code }] of Object.entries(OTHER_ROOTS)) {
    test(`other root: ${name} → ${code}`, async () => {
      await expect(verifySignature(g.bundle, POLICY, { trustedRoot: root() })).rejects.toMatchObject({ code });
    });
  }

  test('private-instance ClientTrustConfig (snake_case signing_config, GitHub TSA only)', async () => {
    const p = verifySignature(g.bundle, POLICY, { trustedRoot: parseTrustRoot(JSON.parse(CUSTOM_TRUST_CONFIG), 'custom_trust_config.json') });
    // It trusts the production Rekor and Fulcio, but not the production TSA that stamped v1.1.0.
    if (g.hasTimestamp) await expect(p).rejects.toMatchObject({ code: 'TIMESTAMP_INVALID' });
    else await expect(p).resolves.toBeTruthy();
  });
});
