/**
 * inspectSignature over every reference golden: the method each bundle needs, the claimed signer, what could not
 * be checked; tampered keyless bundles are refused with the same typed errors verification gives; and inspection
 * is no way around a policy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleMethod, inspectSignature, isModelVerifyError, parseBundle, verifySignature, type Policy } from '../../core/index.js';
import { KEY_CERT_GOLDENS, sigPath } from '../helpers/fixtures.js';
import { GOLDENS, IDENTITY, ISSUER } from '../sigstore/fixtures.js';
import { OTHER_ROOTS } from '../sigstore/roots.js';
import { tamper } from '../sigstore/tamper.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isModelVerifyError(e)) throw e;
    return e.code;
  }
  throw new Error('expected a ModelVerifyError');
}

describe('inspectSignature: key and certificate goldens', () => {
  for (const g of KEY_CERT_GOLDENS) {
    it(`${g.name} → ${g.method}`, async () => {
      const bytes = readFileSync(sigPath(g));
      expect(bundleMethod(parseBundle(bytes))).toBe(g.method);
      const r = await inspectSignature(bytes);
      expect(r.policyChecked).toBe(false);
      expect(r.method).toBe(g.method);
      expect(r.signer.method).toBe(g.method);
      expect(r.statement.resources).toBeGreaterThan(0);
      expect(r.notChecked.join('\n')).toMatch(/no policy/);
      if (r.signer.method === 'key') {
        // Pre-1.1 key signers record no hint: the inspection says which key cannot be known.
        const legacy = g.name.startsWith('v0.') || g.name.startsWith('v1.0.');
        expect(r.signer.keyHint).toBe(legacy ? null : 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
        expect(r.notChecked[0]).toMatch(/^The signature: it can only be checked with the signer's public key/);
        expect(r.notChecked.join('\n')).toMatch(legacy ? /records no key hint/ : /key hint is a claim/);
        expect(r.checked.join('\n')).not.toMatch(/signature over/i);
      } else if (r.signer.method === 'certificate') {
        expect(r.signer.anchored).toBe(false);
        expect(r.signer.certificate.subject).toBe('CN=intermediate-ca');
        expect(r.signer.chain[0]).toEqual(r.signer.certificate);
        expect(r.signer.pae).toBe(g.name === 'v0.2.0-certificate' ? 'compat' : 'standard');
        expect(r.checked.join('\n')).toMatch(/DSSE signature over the statement/);
        expect(r.notChecked[0]).toMatch(/not anchored to any CA.*--certificate-chain/);
      } else {
        throw new Error('a key or certificate golden inspected as sigstore');
      }
      expect(r.trustRoot).toBeUndefined();
    });
  }

  it('a certificate signature whose envelope signature was changed is refused', async () => {
    const j = JSON.parse(readFileSync(sigPath(KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!), 'utf8'));
    const sig = Buffer.from(j.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 1]! ^= 1;
    j.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    expect(await code(inspectSignature(JSON.stringify(j)))).toBe('SIGNATURE_INVALID');
  });

  it('hostile bundle text is bounded: a huge key hint is clipped, a certificate flood is refused by the bundle reader', async () => {
    const key = JSON.parse(readFileSync(sigPath(KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!), 'utf8'));
    key.verificationMaterial.publicKey.hint = 'a'.repeat(100_000);
    const r = await inspectSignature(JSON.stringify(key));
    expect(r.signer.method === 'key' && r.signer.keyHint).toBe(`${'a'.repeat(128)}…`);
    const cert = JSON.parse(readFileSync(sigPath(KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!), 'utf8'));
    const list = cert.verificationMaterial.x509CertificateChain.certificates;
    cert.verificationMaterial.x509CertificateChain.certificates = Array.from({ length: 40 }, () => list[0]);
    expect(await code(inspectSignature(JSON.stringify(cert)))).toBe('BUNDLE_MALFORMED');
  });

  it('an expired certificate signature is refused (no CA could make it verify)', async () => {
    const bytes = readFileSync(sigPath(KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!));
    expect(await code(inspectSignature(bytes, { time: new Date('2040-01-01T00:00:00Z') }))).toBe('CERT_EXPIRED');
  });
});

describe.each(GOLDENS)('inspectSignature: $name', (g) => {
  it('reports the claimed Sigstore identity after the keyless checks', async () => {
    expect(bundleMethod(parseBundle(g.bundle))).toBe('sigstore');
    const r = await inspectSignature(g.bundle);
    expect(r.policyChecked).toBe(false);
    expect(r.method).toBe('sigstore');
    const s = r.signer;
    if (s.method !== 'sigstore') throw new Error(`expected sigstore, got ${s.method}`);
    expect(s.identity).toBe(IDENTITY);
    expect(s.identities).toEqual([IDENTITY]);
    expect(s.issuer).toBe(ISSUER);
    expect(s.chain.map((c) => c.subject)).toEqual(['', 'O=sigstore.dev, CN=sigstore-intermediate', 'O=sigstore.dev, CN=sigstore']);
    expect(s.log).toMatchObject({ kind: 'dsse 0.0.1', url: 'https://rekor.sigstore.dev' });
    expect(s.log.logIndex).toBe(JSON.parse(g.bundle).verificationMaterial.tlogEntries[0].logIndex);
    expect(s.log.integratedTime).toBeTruthy();
    expect(s.timestamps.map((t) => t.source).sort()).toEqual(g.hasTimestamp ? ['rfc3161', 'tlog'] : ['tlog']);
    expect(r.trustRoot?.source).toContain('@sigstore/tuf');
    expect(r.checked.join('\n')).toMatch(/Transparency-log entry/);
    expect(r.notChecked[0]).toMatch(/--identity or --identity-regexp, and --identity-provider/);
  });

  // The same typed errors verification gives, so inspection is never a softer reading of a bundle.
  const refused: Record<string, string | null> = {
    'certificate bit': 'CERT_CHAIN_UNTRUSTED',
    'certificate identity': 'CERT_CHAIN_UNTRUSTED',
    'inclusion proof hash': 'TLOG_PROOF_INVALID',
    SET: 'TLOG_SET_INVALID',
    'checkpoint signature': 'TLOG_CHECKPOINT_INVALID',
    'timestamp token': g.hasTimestamp ? 'TIMESTAMP_INVALID' : null,
    'DSSE signature': g.hasTimestamp ? 'TIMESTAMP_INVALID' : 'SIGNATURE_INVALID',
    payload: 'SIGNATURE_INVALID',
    'tlog entry removed': 'TLOG_MISSING',
  };
  for (const [name, want] of Object.entries(refused)) {
    if (want === null) continue;
    it(`tampered ${name} → ${want}`, async () => {
      expect(await code(inspectSignature(tamper(g.bundle, name)!))).toBe(want);
    });
  }

  it('a trust root whose CT log key was replaced refuses the SCT', async () => {
    expect(await code(inspectSignature(g.bundle, { trustedRoot: OTHER_ROOTS['CT log key replaced']!.root() }))).toBe('SCT_INVALID');
  });

  it('a trust root without the Fulcio CA refuses the chain', async () => {
    expect(await code(inspectSignature(g.bundle, { trustedRoot: OTHER_ROOTS['Fulcio CA missing']!.root() }))).toBe('CERT_CHAIN_UNTRUSTED');
  });
});

describe('inspection is not verification', () => {
  it('verifySignature still refuses to run without a policy, whatever the bundle', async () => {
    const g = GOLDENS[3]!;
    for (const p of [undefined, null, {}, { method: 'sigstore', issuer: ISSUER }, { method: 'sigstore', identity: IDENTITY }]) {
      expect(await code(verifySignature(g.bundle, p as unknown as Policy))).toBe('INPUT_MISSING');
    }
  });

  it('the inspection result carries no verdict a shell could mistake for one', async () => {
    const r = await inspectSignature(GOLDENS[0]!.bundle);
    expect(r).not.toHaveProperty('verified');
    expect(r).not.toHaveProperty('errors');
  });

  it('a broken bundle is a typed error', async () => {
    expect(await code(inspectSignature('{'))).toBe('BUNDLE_MALFORMED');
    expect(await code(inspectSignature('{}'))).toMatch(/^BUNDLE_/);
  });
});
