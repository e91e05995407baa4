/**
 * Issue 10: certificate path building is bounded. Look-alike floods (one name, one key: each certificate "signs"
 * every other) are decided with a typed error and a bounded amount of work, counted on core/x509/chain.ts's work
 * counter — never timed — while real chains keep verifying. Wall times are logged for the record.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as pkijs from 'pkijs';
import { verifyModel } from '../../core/index.js';
import { ModelVerifyError } from '../../core/errors.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { buildChain, chainWork, MAX_INTERMEDIATES, MAX_ISSUER_CANDIDATES, MAX_PATH_STEPS, MAX_SIGNATURE_CHECKS } from '../../core/x509/chain.js';
import { parseCertificate, type Certificate } from '../../core/x509/certificate.js';
import { KEY_CERT_GOLDENS, SCRIPTS, sigPath } from '../helpers/fixtures.js';
import { certBundle, issue, lookAlikeFlood, type IssuedCert } from '../helpers/pki.js';
import path from 'node:path';

const now = () => new Date();
const parse = (c: IssuedCert): Certificate => parseCertificate(c.der);

/** Runs buildChain and returns the outcome with the work it did. */
async function decide(leaf: IssuedCert, chain: IssuedCert[], anchors: IssuedCert[]) {
  const tp = performance.now();
  const [l, c, a] = [parse(leaf), chain.map(parse), anchors.map(parse)];
  const parseMs = performance.now() - tp;
  const before = { ...chainWork };
  const t0 = performance.now();
  let code = 'OK';
  let length = 0;
  try {
    length = (await buildChain(l, c, a, { time: now() })).length;
  } catch (e) {
    if (!(e instanceof ModelVerifyError)) throw e;
    code = e.code;
  }
  return {
    code,
    length,
    ms: performance.now() - t0,
    parseMs,
    signatureChecks: chainWork.signatureChecks - before.signatureChecks,
    pathSteps: chainWork.pathSteps - before.pathSteps,
  };
}

function expectBounded(r: { signatureChecks: number; pathSteps: number }) {
  expect(r.signatureChecks).toBeLessThanOrEqual(MAX_SIGNATURE_CHECKS);
  expect(r.pathSteps).toBeLessThanOrEqual(MAX_PATH_STEPS);
}

describe('path building is bounded', () => {
  it.each([10, 12, 15, 16])('a flood of %i look-alike intermediates is refused (CERT_CHAIN_TOO_COMPLEX), work bounded', async (n) => {
    const { cas, leaf } = await lookAlikeFlood(n);
    const root = await issue({ cn: 'unrelated-root', ca: true });
    const r = await decide(leaf, cas, [root]);
    expect(r.code).toBe('CERT_CHAIN_TOO_COMPLEX');
    expectBounded(r);
    console.log(
      `flood ${n}: ${r.code} in ${r.ms.toFixed(1)} ms (parsing ${r.parseMs.toFixed(1)} ms), ${r.signatureChecks} signature checks, ${r.pathSteps} steps`,
    );
  });

  it.each([3, 5, 6, 7, MAX_ISSUER_CANDIDATES])('%i look-alikes (under the per-name cap) are still decided within the budgets', async (n) => {
    const { cas, leaf } = await lookAlikeFlood(n);
    // The anchor carries the flood's name but another key: every step also tries it.
    const root = await issue({ cn: 'flood-ca', ca: true });
    const r = await decide(leaf, cas, [root]);
    expect(['CERT_CHAIN_TOO_COMPLEX', 'CERT_CHAIN_UNTRUSTED']).toContain(r.code);
    expectBounded(r);
    console.log(
      `flood ${n} + same-name anchor: ${r.code} in ${r.ms.toFixed(1)} ms (parsing ${r.parseMs.toFixed(1)} ms), ${r.signatureChecks} signature checks, ${r.pathSteps} steps`,
    );
  });

  it('two names certifying each other (8 + 8, one key) are decided within the budgets', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const a = { cn: 'A', dn: [['CN', 'A']] as const, keys, der: new Uint8Array(), pem: '' };
    const b = { cn: 'B', dn: [['CN', 'B']] as const, keys, der: new Uint8Array(), pem: '' };
    const certs: IssuedCert[] = [];
    for (let i = 0; i < 8; i++) {
      certs.push(await issue({ cn: 'A', keys, issuer: b, ca: true }));
      certs.push(await issue({ cn: 'B', keys, issuer: a, ca: true }));
    }
    const leaf = await issue({ cn: 'leaf', issuer: a });
    const r = await decide(leaf, certs, [await issue({ cn: 'root', ca: true })]);
    expect(r.code).toBe('CERT_CHAIN_TOO_COMPLEX');
    expectBounded(r);
  });

  it('look-alikes with distinct keys cost at most MAX_SIGNATURE_CHECKS verifications', async () => {
    const root = await issue({ cn: 'decoy', ca: true });
    const decoys: IssuedCert[] = [];
    for (let i = 0; i < MAX_ISSUER_CANDIDATES; i++) decoys.push(await issue({ cn: 'decoy', ca: true }));
    const leaf = await issue({ cn: 'leaf', issuer: decoys[0]! });
    const r = await decide(leaf, decoys, [await issue({ cn: 'other', ca: true }), root]);
    expect(['CERT_CHAIN_TOO_COMPLEX', 'CERT_CHAIN_UNTRUSTED']).toContain(r.code);
    expectBounded(r);
  });

  it(`more than ${MAX_INTERMEDIATES} distinct chain certificates are refused before any signature check`, async () => {
    const root = await issue({ cn: 'root', ca: true });
    const leaf = await issue({ cn: 'leaf', issuer: root });
    const many: IssuedCert[] = [];
    for (let i = 0; i <= MAX_INTERMEDIATES; i++) many.push(await issue({ cn: `ca-${i}`, ca: true }));
    const r = await decide(leaf, many, [root]);
    expect(r).toMatchObject({ code: 'CERT_CHAIN_TOO_COMPLEX', signatureChecks: 0 });
  });

  it('copies of one certificate count once: 40 copies of the real intermediate still verify', async () => {
    const root = await issue({ cn: 'root', ca: true });
    const mid = await issue({ cn: 'mid', issuer: root, ca: true });
    const leaf = await issue({ cn: 'leaf', issuer: mid });
    const r = await decide(leaf, Array(40).fill(mid), [root]);
    expect(r).toMatchObject({ code: 'OK', length: 3 });
  });

  it('a real chain among same-name decoys (other keys) is still found', async () => {
    const root = await issue({ cn: 'root', ca: true });
    const decoys: IssuedCert[] = [];
    for (let i = 0; i < MAX_ISSUER_CANDIDATES - 1; i++) decoys.push(await issue({ cn: 'mid', issuer: root, ca: true }));
    const mid = await issue({ cn: 'mid', issuer: root, ca: true });
    const leaf = await issue({ cn: 'leaf', issuer: mid });
    const r = await decide(leaf, [...decoys, mid], [root]);
    expect(r).toMatchObject({ code: 'OK', length: 3 });
    expectBounded(r);
  });

  it('a depth-7 chain (the longest MAX_DEPTH allows) verifies', async () => {
    let ca = await issue({ cn: 'root', ca: true });
    const root = ca;
    const mids: IssuedCert[] = [];
    for (let i = 0; i < 6; i++) mids.push((ca = await issue({ cn: `mid-${i}`, issuer: ca, ca: true })));
    const leaf = await issue({ cn: 'leaf', issuer: ca });
    const r = await decide(leaf, mids.reverse(), [root]);
    expect(r).toMatchObject({ code: 'OK', length: 8 });
  });

  it('RSA issuers with an oversized public exponent are not used (their checks cost milliseconds each)', async () => {
    const make = async (publicExponent: number) => {
      // node:crypto for the key (WebCrypto's generateKey misreads exponents ≥ 2^31 on Node 20), WebCrypto to use it.
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent });
      const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const keys = {
        privateKey: await crypto.subtle.importKey('pkcs8', pair.privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']),
        publicKey: await crypto.subtle.importKey('spki', pair.publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
      } as CryptoKeyPair;
      const root = await issue({ cn: 'rsa-root', ca: true, keys });
      const leaf = await issue({ cn: 'leaf', issuer: root });
      return decide(leaf, [], [root]);
    };
    expect((await make(65537)).code).toBe('OK');
    expect((await make(2 ** 31 + 1)).code).toBe('CERT_CHAIN_UNTRUSTED');
  });

  it('a certificate repeating an extension is malformed', async () => {
    const dup = new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false) });
    const c = await issue({ cn: 'dup', ca: true, extensions: [dup] });
    expect(() => parseCertificate(c.der)).toThrow(expect.objectContaining({ code: 'CERT_MALFORMED' }));
  });
});

describe('a flood through verifyModel (certificate method)', () => {
  const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
  const payload = () => Buffer.from(JSON.parse(readFileSync(sigPath(g), 'utf8')).dsseEnvelope.payload, 'base64');
  const source = () => {
    const dir = path.join(SCRIPTS, g.model);
    return new MemorySource('v1.1.0-certificate', {
      'signme-1': readFileSync(path.join(dir, 'signme-1')),
      'signme-2': readFileSync(path.join(dir, 'signme-2')),
    });
  };

  // The bundle reader takes at most 16 certificates: leaf + 15 is the largest chain that reaches path building.
  it.each([10, 15])('leaf + %i look-alikes → CERT_CHAIN_TOO_COMPLEX, bounded', async (n) => {
    const { cas, leaf } = await lookAlikeFlood(n);
    const root = await issue({ cn: 'flood-ca', ca: true });
    const bundle = await certBundle(payload(), leaf, cas);
    const before = { ...chainWork };
    const t0 = performance.now();
    const report = await verifyModel(source(), bundle, { method: 'certificate', anchors: [root.pem] });
    const ms = performance.now() - t0;
    expect(report.verified).toBe(false);
    expect(report.errors[0]?.code).toBe('CERT_CHAIN_TOO_COMPLEX');
    expect(chainWork.signatureChecks - before.signatureChecks).toBeLessThanOrEqual(MAX_SIGNATURE_CHECKS);
    console.log(`verifyModel, leaf + ${n} look-alikes: ${report.errors[0]?.code} in ${ms.toFixed(1)} ms`);
  });
});
