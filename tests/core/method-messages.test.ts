/**
 * Issue 12: a signature checked with the wrong method says which method it needs (never another wrong one), and
 * an identity mismatch reads "signed by X; you required Y". Codes stay as they were.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isModelVerifyError, verifySignature, type Method, type Policy } from '../../core/index.js';
import { methodAdvice } from '../../core/bundle/method.js';
import { CA_CERT, KEY_CERT_GOLDENS, PUB_KEY, readText, sigPath } from '../helpers/fixtures.js';
import { GOLDENS, IDENTITY, ISSUER, POLICY } from '../sigstore/fixtures.js';

const POLICIES: Record<Method, () => Policy> = {
  key: () => ({ method: 'key', publicKey: readText(PUB_KEY) }),
  certificate: () => ({ method: 'certificate', anchors: [readText(CA_CERT)] }),
  sigstore: () => POLICY,
};

async function failure(bundle: string | Uint8Array, policy: Policy): Promise<{ code: string; message: string }> {
  try {
    await verifySignature(bundle, policy);
  } catch (e) {
    if (!isModelVerifyError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected verification to fail');
}

const cases = [
  ...KEY_CERT_GOLDENS.map((g) => ({ name: g.name, method: g.method as Method, bundle: readFileSync(sigPath(g)) as Uint8Array | string })),
  ...GOLDENS.map((g) => ({ name: g.name, method: 'sigstore' as Method, bundle: g.bundle as Uint8Array | string })),
];

// The codes these failures had before the messages named the method (kept stable for --json consumers).
const CODE: Record<Method, Record<Method, string>> = {
  key: { key: '', certificate: 'BUNDLE_MATERIAL', sigstore: 'TLOG_MISSING' },
  certificate: { key: 'BUNDLE_MATERIAL', certificate: '', sigstore: 'TLOG_MISSING' },
  sigstore: { key: 'BUNDLE_MATERIAL', certificate: 'BUNDLE_MATERIAL', sigstore: '' },
};

describe('a wrong method names the method the bundle needs', () => {
  for (const c of cases) {
    for (const wrong of (['key', 'certificate', 'sigstore'] as const).filter((m) => m !== c.method)) {
      it(`${c.name} checked as ${wrong} → ${c.method}`, async () => {
        const f = await failure(c.bundle, POLICIES[wrong]());
        expect(f.code).toBe(CODE[c.method][wrong]);
        expect(f.message).toContain(methodAdvice(c.method));
        expect(f.message).toContain(`verify it with the ${c.method} method`);
      });
    }
  }

  it('the Sigstore advice lists every alternative for the identity', () => {
    expect(methodAdvice('sigstore')).toBe(
      'This signature was made with a Sigstore identity: verify it with the sigstore method (--identity or --identity-regexp, and --identity-provider)',
    );
  });
});

describe('identity mismatches read "signed by X; you required Y"', () => {
  const g = GOLDENS[3]!;
  it('exact identity', async () => {
    const f = await failure(g.bundle, { ...POLICY, identity: 'someone@example.com' });
    expect(f).toEqual({ code: 'IDENTITY_MISMATCH', message: `Signed by '${IDENTITY}'; you required 'someone@example.com'` });
  });
  it('identity pattern', async () => {
    const f = await failure(g.bundle, { method: 'sigstore', issuer: ISSUER, identityRegexp: 'stefanb' });
    expect(f).toEqual({ code: 'IDENTITY_MISMATCH', message: `Signed by '${IDENTITY}'; you required an identity matching /stefanb/` });
  });
  it('issuer', async () => {
    const f = await failure(g.bundle, { ...POLICY, issuer: 'https://accounts.google.com' });
    expect(f).toEqual({
      code: 'ISSUER_MISMATCH',
      message: `Signed by '${IDENTITY}' through identity provider '${ISSUER}'; you required identity provider 'https://accounts.google.com'`,
    });
  });
  it('claim', async () => {
    const f = await failure(g.bundle, { ...POLICY, claims: { sourceRepositoryURI: 'https://github.com/org/repo' } });
    expect(f).toEqual({
      code: 'CLAIM_MISMATCH',
      message: `Signed by '${IDENTITY}' with sourceRepositoryURI not set; you required 'https://github.com/org/repo'`,
    });
  });
  it('no jargon', async () => {
    const f = await failure(g.bundle, { ...POLICY, identity: 'someone@example.com' });
    expect(f.message).not.toMatch(/SAN|OIDCIssuer/);
  });
});
