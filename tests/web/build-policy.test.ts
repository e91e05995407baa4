/** The app's form and the element's attributes → core's parsePolicy, with messages and headlines people read. */
import { describe, expect, it } from 'vitest';
import { buildPolicy, failureHeadline, reportFromError } from '../../web/verify-run.js';

const ISSUER = 'https://accounts.google.com';

function refusal(f: Parameters<typeof buildPolicy>[0]) {
  try {
    buildPolicy(f);
  } catch (e) {
    const r = reportFromError(e);
    return { code: r.errors[0]!.code, message: r.errors[0]!.message, headline: failureHeadline(r) };
  }
  return undefined;
}

describe('buildPolicy', () => {
  it('trims typed text and passes only the chosen method’s fields', () => {
    expect(buildPolicy({ method: 'sigstore', identity: ' a@example.com\n', issuer: `${ISSUER} `, publicKey: 'left over from the key tab' })).toEqual({
      method: 'sigstore',
      identity: 'a@example.com',
      issuer: ISSUER,
    });
  });
  it('claims (from a Worker policy) are kept, malformed ones refused: the browser checks no less than the edge', () => {
    expect(buildPolicy({ method: 'sigstore', identity: 'a@example.com', issuer: ISSUER, claims: { buildTrigger: 'push' } })).toEqual({
      method: 'sigstore',
      identity: 'a@example.com',
      issuer: ISSUER,
      claims: { buildTrigger: 'push' },
    });
    expect(refusal({ method: 'sigstore', identity: 'a@example.com', issuer: ISSUER, claims: { buildTrigger: 1 } })?.code).toBe('POLICY_INVALID');
  });
  it('missing fields are INPUT_MISSING, “incomplete”, and named as on the form', () => {
    const cases: [Parameters<typeof buildPolicy>[0], string][] = [
      [{ method: 'sigstore', identity: 'a@example.com', issuer: '' }, 'OIDC issuer'],
      [{ method: 'sigstore', identity: ' ', identityRegexp: '', issuer: ISSUER }, 'signer identity'],
      [{ method: 'key', publicKey: '\n' }, "signer's public key"],
      [{ method: 'certificate' }, 'trusted CA certificate(s)'],
      [{ method: '' }, 'signing method'],
    ];
    for (const [f, name] of cases) {
      expect(refusal(f)).toEqual({
        code: 'INPUT_MISSING',
        message: expect.stringContaining(`Missing ${name}`),
        headline: 'The verification settings are incomplete',
      });
    }
  });
  it('invalid fields are POLICY_INVALID (or the PEM code), “not valid”', () => {
    expect(refusal({ method: 'sigstore', identityRegexp: 'alice\\-x@example\\.com', issuer: ISSUER })).toEqual({
      code: 'POLICY_INVALID',
      message: expect.stringContaining('identity pattern is not a valid regular expression'),
      headline: 'The verification settings are not valid',
    });
    expect(refusal({ method: 'magic' as never })?.code).toBe('POLICY_INVALID');
    expect(refusal({ method: 'key', publicKey: 'not a pem' })?.code).toBe('KEY_MALFORMED');
  });
});
