/**
 * parsePolicy, the one reader of policy input, and its agreement with verification: whatever it refuses,
 * verifySignature refuses with the same code; whatever it accepts, verification runs with. Runs in Node,
 * Chromium and workerd (fixtures are `?raw` imports).
 */
import { describe, expect, test } from 'vitest';
import { isModelVerifyError } from '../../core/errors.js';
import { matchIdentity } from '../../core/policy/identity.js';
import { parsePolicy, POLICY_LIMITS } from '../../core/policy/parse.js';
import { compileIdentityRegexp } from '../../core/policy/regexp.js';
import { verifySignature } from '../../core/verify/verify-model.js';
import CA_CERT from '../fixtures/model-transparency/scripts/tests/keys/certificate/ca-cert.pem?raw';
import INT_CERT from '../fixtures/model-transparency/scripts/tests/keys/certificate/int-ca-cert.pem?raw';
import PUBLIC_KEY from '../fixtures/model-transparency/scripts/tests/keys/certificate/signing-key-pub.pem?raw';
import KEY_SIG from '../fixtures/model-transparency/scripts/tests/v1.1.0-elliptic-key/model.sig?raw';
import CERT_SIG from '../fixtures/model-transparency/scripts/tests/v1.1.0-certificate/model.sig?raw';
import SIGSTORE_SIG from '../fixtures/model-transparency/scripts/tests/v1.1.0-sigstore/model.sig?raw';

const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';
const IDENTITY = 'stefanb@us.ibm.com';

/** The code and message parsePolicy throws (undefined when it accepts). */
function refusal(input: unknown): { code: string; message: string } | undefined {
  try {
    parsePolicy(input);
    return undefined;
  } catch (e) {
    if (!isModelVerifyError(e)) throw e;
    return { code: e.code, message: e.message };
  }
}

const codeOf = (input: unknown) => refusal(input)?.code;

describe('method and shape', () => {
  test.each([
    ['no policy', undefined, 'INPUT_MISSING'],
    ['null', null, 'INPUT_MISSING'],
    ['no method', {}, 'INPUT_MISSING'],
    ['empty method', { method: '' }, 'INPUT_MISSING'],
    ['unknown method', { method: 'magic' }, 'POLICY_INVALID'],
    ['method of another case', { method: 'Key', publicKey: PUBLIC_KEY }, 'POLICY_INVALID'],
    ['method not a string', { method: 1 }, 'POLICY_INVALID'],
    ['a list', [{ method: 'key' }], 'POLICY_INVALID'],
    ['a string', 'key', 'POLICY_INVALID'],
  ])('%s → %s', (_what, input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  test('unknown fields are refused by name, fields of another method too', () => {
    const typo = refusal({ method: 'sigstore', identity: IDENTITY, issuer: ISSUER, identityRegex: '.*' });
    expect(typo).toEqual({ code: 'POLICY_INVALID', message: expect.stringContaining('"identityRegex"') });
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, anchors: [CA_CERT] })).toBe('POLICY_INVALID');
    expect(codeOf({ method: 'certificate', anchors: [CA_CERT], identity: IDENTITY })).toBe('POLICY_INVALID');
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, claims: {} })).toBe('POLICY_INVALID');
    // Unset JS properties are not fields (a shell may map an absent flag to undefined).
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, identity: undefined, issuer: null })).toBeUndefined();
  });

  test('the result is a fresh, normalised object with only its method’s fields', () => {
    const input = { method: 'sigstore', issuer: ISSUER, identityRegexp: '', identity: IDENTITY, claims: {} };
    const p = parsePolicy(input);
    expect(p).toEqual({ method: 'sigstore', identity: IDENTITY, issuer: ISSUER });
    expect(Object.keys(p)).toEqual(['method', 'identity', 'issuer']);
    expect(p).not.toBe(input);
  });
});

describe('key policies', () => {
  test('a PEM public key (leading text allowed, as certtool writes it)', () => {
    expect(parsePolicy({ method: 'key', publicKey: PUBLIC_KEY })).toEqual({ method: 'key', publicKey: PUBLIC_KEY });
    expect(codeOf({ method: 'key', publicKey: `Public Key Info:\n\tsome dump\n${PUBLIC_KEY}` })).toBeUndefined();
  });
  test.each([
    ['absent', undefined, 'INPUT_MISSING'],
    ['null', null, 'INPUT_MISSING'],
    ['empty', '', 'INPUT_MISSING'],
    ['only whitespace', ' \n\t', 'INPUT_MISSING'],
    ['not a string', 42, 'POLICY_INVALID'],
    ['a list of keys', [PUBLIC_KEY], 'POLICY_INVALID'],
    ['not PEM', 'not a pem', 'KEY_MALFORMED'],
    ['a certificate', CA_CERT, 'KEY_MALFORMED'],
    ['bad base64', '-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n', 'KEY_MALFORMED'],
    ['an empty block', '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n', 'KEY_MALFORMED'],
    ['two keys', PUBLIC_KEY + PUBLIC_KEY, 'KEY_MALFORMED'],
    [
      'legacy encrypted PEM',
      '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n',
      'KEY_UNSUPPORTED',
    ],
    ['too long', PUBLIC_KEY + ' '.repeat(POLICY_LIMITS.pemChars), 'POLICY_INVALID'],
  ])('publicKey %s → %s', (_what, publicKey, code) => {
    const r = refusal({ method: 'key', publicKey });
    expect(r?.code).toBe(code);
    expect(r?.message).toContain('publicKey');
  });
  test('missing says what to give', () => {
    expect(refusal({ method: 'key' })?.message).toBe("Missing publicKey: a key policy needs the signer's public key (PEM)");
  });
  test('keyName is a label: trimmed, blank dropped, bounded, plain text only', () => {
    expect(parsePolicy({ method: 'key', publicKey: PUBLIC_KEY, keyName: ' Acme release key ' })).toEqual({
      method: 'key',
      publicKey: PUBLIC_KEY,
      keyName: 'Acme release key',
    });
    expect(parsePolicy({ method: 'key', publicKey: PUBLIC_KEY, keyName: '  ' })).toEqual({ method: 'key', publicKey: PUBLIC_KEY });
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, keyName: 'x'.repeat(POLICY_LIMITS.keyNameChars + 1) })).toBe('POLICY_INVALID');
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, keyName: 'evil\u001b[31m' })).toBe('POLICY_INVALID');
    expect(codeOf({ method: 'key', publicKey: PUBLIC_KEY, keyName: 7 })).toBe('POLICY_INVALID');
    // Only key policies name a key.
    expect(codeOf({ method: 'sigstore', issuer: ISSUER, identity: IDENTITY, keyName: 'k' })).toBe('POLICY_INVALID');
  });
  test('the report carries the key name next to the fingerprint; verification is unchanged', async () => {
    const named = await verifySignature(KEY_SIG, { method: 'key', publicKey: PUBLIC_KEY, keyName: 'Reference test key' });
    const plain = await verifySignature(KEY_SIG, { method: 'key', publicKey: PUBLIC_KEY });
    expect(named.signer).toEqual({ ...plain.signer, keyName: 'Reference test key' });
    expect(plain.signer).not.toHaveProperty('keyName');
  });
});

describe('certificate policies', () => {
  test('one or more PEM texts, each with at least one certificate', () => {
    expect(parsePolicy({ method: 'certificate', anchors: [CA_CERT] })).toEqual({ method: 'certificate', anchors: [CA_CERT] });
    expect(codeOf({ method: 'certificate', anchors: [CA_CERT + INT_CERT] })).toBeUndefined();
    expect(codeOf({ method: 'certificate', anchors: [CA_CERT, INT_CERT] })).toBeUndefined();
    // Verification keeps only the certificates of a text; other blocks beside them are not an error.
    expect(codeOf({ method: 'certificate', anchors: [PUBLIC_KEY + CA_CERT] })).toBeUndefined();
  });
  test.each([
    ['absent', undefined, 'INPUT_MISSING'],
    ['an empty list', [], 'INPUT_MISSING'],
    ['only blank texts', ['', '  '], 'INPUT_MISSING'],
    ['a string, not a list', CA_CERT, 'POLICY_INVALID'],
    ['a non-string entry', [CA_CERT, 7], 'POLICY_INVALID'],
    // eslint-disable-next-line no-sparse-arrays
    ['a sparse list', [, CA_CERT], 'POLICY_INVALID'],
    ['a blank entry among certificates', [CA_CERT, ''], 'POLICY_INVALID'],
    ['a public key as anchor', [PUBLIC_KEY], 'CERT_MALFORMED'],
    ['text without PEM', ['hello'], 'CERT_MALFORMED'],
    ['a certificate with bad base64', ['-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n'], 'CERT_MALFORMED'],
    ['too many texts', Array.from({ length: POLICY_LIMITS.anchors + 1 }, () => CA_CERT), 'POLICY_INVALID'],
    ['too many PEM blocks', [CA_CERT.repeat(POLICY_LIMITS.pemBlocks + 1)], 'POLICY_INVALID'],
  ])('anchors %s → %s', (_what, anchors, code) => {
    const r = refusal({ method: 'certificate', anchors });
    expect(r?.code).toBe(code);
    expect(r?.message).toContain('anchors');
  });

  test('hostile PEM costs little: BEGIN markers are counted before the (quadratic) block scan', () => {
    // 15,000 unterminated BEGIN markers take seconds in the block regexp; refused before it runs.
    const t0 = performance.now();
    expect(codeOf({ method: 'certificate', anchors: ['-----BEGIN A-----'.repeat(15_000)] })).toBe('POLICY_INVALID');
    expect(codeOf({ method: 'key', publicKey: '-----BEGIN A-----'.repeat(15_000) })).toBe('POLICY_INVALID');
    expect(performance.now() - t0).toBeLessThan(500);
  });

  test('messages stay short whatever the PEM labels are', () => {
    const label = 'A'.repeat(100_000);
    const r = refusal({ method: 'certificate', anchors: [`-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`] });
    expect(r?.code).toBe('CERT_MALFORMED');
    expect(r!.message.length).toBeLessThan(400);
    const empty = refusal({ method: 'key', publicKey: `-----BEGIN ${label}-----\n-----END ${label}-----\n` });
    expect(empty?.code).toBe('KEY_MALFORMED');
    expect(empty!.message.length).toBeLessThan(400);
  });
});

describe('sigstore policies', () => {
  const base = { method: 'sigstore', issuer: ISSUER } as const;
  test('identity, pattern or both (then both must match)', () => {
    expect(parsePolicy({ ...base, identity: IDENTITY })).toEqual({ ...base, identity: IDENTITY });
    expect(parsePolicy({ ...base, identityRegexp: '.*@us\\.ibm\\.com' })).toEqual({ ...base, identityRegexp: '.*@us\\.ibm\\.com' });
    expect(parsePolicy({ ...base, identity: IDENTITY, identityRegexp: 'stefanb@.*' })).toEqual({ ...base, identity: IDENTITY, identityRegexp: 'stefanb@.*' });
  });
  test('missing issuer or identity is INPUT_MISSING, named by field', () => {
    expect(refusal({ method: 'sigstore', identity: IDENTITY })).toEqual({ code: 'INPUT_MISSING', message: expect.stringMatching(/^Missing issuer: /) });
    expect(refusal({ ...base, issuer: '  ' })?.code).toBe('INPUT_MISSING');
    const none = refusal({ ...base, identity: '', identityRegexp: null });
    expect(none).toEqual({ code: 'INPUT_MISSING', message: expect.stringMatching(/^Missing identity or identityRegexp: .*refusing to accept any signer/) });
  });
  test('messages name fields, never CLI flags', () => {
    for (const input of [{ method: 'sigstore' }, { ...base }, { ...base, identityRegexp: '(' }, { method: 'key' }, { method: 'certificate' }]) {
      expect(refusal(input)?.message).not.toMatch(/--/);
    }
  });
  test.each([
    // The issue-10 case: `\-` is an identity escape only without the u flag, so it must be refused up front.
    ['alice\\-x@example\\.com', 'POLICY_INVALID'],
    ['stefanb\\@us\\.ibm\\.com', 'POLICY_INVALID'],
    ['(', 'POLICY_INVALID'],
    ['[a-', 'POLICY_INVALID'],
    // Would close our anchoring group: `^(?:a)|(.*)$` accepts every identity.
    ['a)|(.*', 'POLICY_INVALID'],
    ['x\\', 'POLICY_INVALID'],
    ['a'.repeat(POLICY_LIMITS.stringChars + 1), 'POLICY_INVALID'],
    ['[\\-a-z]+@example\\.com', undefined],
    ['\\p{L}+@example\\.com', undefined],
    ['a|b', undefined],
  ])('identityRegexp %s → %s', (identityRegexp, code) => {
    const r = refusal({ ...base, identityRegexp });
    expect(r?.code).toBe(code);
    if (r) expect(r.message).toContain('identityRegexp');
  });
  test('identities and issuers are exact: surrounding whitespace, wrong types and oversize are refused', () => {
    expect(codeOf({ ...base, identity: ` ${IDENTITY}` })).toBe('POLICY_INVALID');
    expect(codeOf({ ...base, identity: IDENTITY, issuer: `${ISSUER}\n` })).toBe('POLICY_INVALID');
    expect(codeOf({ ...base, identity: [IDENTITY] })).toBe('POLICY_INVALID');
    expect(codeOf({ ...base, identity: IDENTITY, issuer: 1 })).toBe('POLICY_INVALID');
    expect(codeOf({ ...base, identity: 'x'.repeat(POLICY_LIMITS.stringChars + 1) })).toBe('POLICY_INVALID');
  });
  test('claims: a flat string map', () => {
    expect(parsePolicy({ ...base, identity: IDENTITY, claims: { sourceRepositoryRef: 'refs/tags/v1' } })).toEqual({
      ...base,
      identity: IDENTITY,
      claims: { sourceRepositoryRef: 'refs/tags/v1' },
    });
    for (const claims of [
      'x',
      ['a'],
      { a: 1 },
      { a: { b: 'c' } },
      { '': 'x' },
      Object.fromEntries(Array.from({ length: POLICY_LIMITS.claims + 1 }, (_, i) => [`c${i}`, 'v'])),
    ]) {
      expect(codeOf({ ...base, identity: IDENTITY, claims }), JSON.stringify(claims).slice(0, 40)).toBe('POLICY_INVALID');
    }
    // A JSON claim named __proto__ stays a claim (an own property), it does not become the prototype.
    const p = parsePolicy(JSON.parse(`{"method":"sigstore","identity":"${IDENTITY}","issuer":"${ISSUER}","claims":{"__proto__":"x"}}`));
    expect(p.method === 'sigstore' && Object.getPrototypeOf(p.claims)).toBe(Object.prototype);
    expect(p.method === 'sigstore' && Object.hasOwn(p.claims!, '__proto__')).toBe(true);
  });
});

describe('names option: shells word messages in their own vocabulary', () => {
  test('the CLI names flags, the Worker API its JSON fields', () => {
    expect(refusal({ method: 'key' })?.message).toMatch(/^Missing publicKey/);
    const m = () => {
      try {
        parsePolicy({ method: 'certificate', anchors: [] }, { names: { anchors: 'policy.certificateChain' } });
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(m()).toMatch(/^Missing policy\.certificateChain: /);
  });
});

describe('one compile function for parsing and matching', () => {
  test('anchored, u flag, alternations kept inside the anchors', () => {
    const re = compileIdentityRegexp('a|b');
    expect(re.flags).toBe('u');
    expect(['a', 'b', 'ab', 'xa'].map((s) => re.test(s))).toEqual([true, true, false, false]);
  });
  test('matchIdentity refuses what parsePolicy refuses, with the same code', () => {
    const who = { sans: ['alice-x@example.com'], issuer: ISSUER, claims: {} };
    expect(() => matchIdentity({ method: 'sigstore', issuer: ISSUER, identityRegexp: 'alice\\-x@example\\.com' }, who)).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    );
    expect(matchIdentity({ method: 'sigstore', issuer: ISSUER, identityRegexp: 'alice-x@example\\.com' }, who)).toBe('alice-x@example.com');
    // Claims are compared as own properties: `constructor` is not inherited from Object.prototype.
    expect(() => matchIdentity({ method: 'sigstore', issuer: ISSUER, identity: 'alice-x@example.com', claims: { constructor: 'x' } }, who)).toThrow(
      expect.objectContaining({ code: 'CLAIM_MISMATCH' }),
    );
  });
});

describe('parsePolicy and verifySignature agree', () => {
  const cases: [string, unknown][] = [
    ['key: the signer’s key', { method: 'key', publicKey: PUBLIC_KEY }],
    ['key: missing', { method: 'key' }],
    ['key: a certificate', { method: 'key', publicKey: CA_CERT }],
    ['key: two keys', { method: 'key', publicKey: PUBLIC_KEY + PUBLIC_KEY }],
    ['key: extra field', { method: 'key', publicKey: PUBLIC_KEY, identity: 'x' }],
    ['certificate: the CA', { method: 'certificate', anchors: [CA_CERT] }],
    ['certificate: empty list', { method: 'certificate', anchors: [] }],
    ['certificate: a key', { method: 'certificate', anchors: [PUBLIC_KEY] }],
    ['sigstore: identity', { method: 'sigstore', identity: IDENTITY, issuer: ISSUER }],
    ['sigstore: pattern', { method: 'sigstore', identityRegexp: 'stefanb@us\\.ibm\\.com', issuer: ISSUER }],
    ['sigstore: both', { method: 'sigstore', identity: IDENTITY, identityRegexp: 'stefanb@.*', issuer: ISSUER }],
    ['sigstore: \\- under u', { method: 'sigstore', identityRegexp: 'stefanb\\-x', issuer: ISSUER }],
    ['sigstore: no issuer', { method: 'sigstore', identity: IDENTITY }],
    ['sigstore: no identity', { method: 'sigstore', issuer: ISSUER }],
    ['sigstore: claims not strings', { method: 'sigstore', identity: IDENTITY, issuer: ISSUER, claims: { a: 1 } }],
    ['no method', {}],
    ['unknown method', { method: 'magic' }],
    ['null', null],
  ];
  const bundleFor = (p: unknown) => {
    const m = (p as { method?: string } | null)?.method;
    return m === 'certificate' ? CERT_SIG : m === 'sigstore' ? SIGSTORE_SIG : KEY_SIG;
  };
  test.each(cases)('%s', async (_what, input) => {
    const refused = refusal(input);
    const run = verifySignature(bundleFor(input), input as never);
    if (refused) await expect(run).rejects.toMatchObject({ code: refused.code });
    else await expect(run).resolves.toMatchObject({ signer: { method: (input as { method: string }).method } });
  });
});
