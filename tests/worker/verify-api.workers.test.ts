/** POST /api/v1/verify in workerd: every golden verdict, tampered bundles, malformed input, concurrency. */
import { describe, expect, it } from 'vitest';
import { api, CERT_POLICY, golden, KEY_POLICY, SIGSTORE_POLICY, statementOf } from './helpers.js';

const VERSIONS = ['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0'];
const CASES: [string, unknown][] = [
  ...VERSIONS.map((v) => [`${v}-elliptic-key`, KEY_POLICY] as [string, unknown]),
  ...['v0.2.0', ...VERSIONS].map((v) => [`${v}-certificate`, CERT_POLICY] as [string, unknown]),
];
const SIGSTORE_CASES = VERSIONS.map((v) => `${v}-sigstore`);

async function verify(body: unknown): Promise<{ status: number; json: any }> {
  const r = await api('/api/v1/verify', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: r.status, json: await r.json() };
}

/** Resource names and digests as the signed statement lists them (subjects for the v0.1 predicate). */
function signedResources(sig: string): { name: string; digest: string }[] {
  const st = statementOf(sig) as any;
  if (st.predicate?.resources) return st.predicate.resources.map((r: any) => ({ name: r.name, digest: r.digest }));
  return st.subject.map((s: any) => ({ name: s.name, digest: s.digest.sha256 }));
}

function sortByName<T extends { name: string }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe('POST /api/v1/verify: golden signatures', () => {
  it.each(CASES)('%s verifies and returns the signed manifest', async (kase, policy) => {
    const sig = golden(kase)['model.sig']!;
    // Both request shapes: the bundle as a JSON object and as its text.
    for (const bundle of [JSON.parse(sig), sig]) {
      const { status, json } = await verify({ bundle, policy });
      expect(status).toBe(200);
      expect(json.errors).toBeUndefined();
      expect(json.verified).toBe(true);
      expect(json.signer.method).toBe((policy as { method: string }).method);
      expect(sortByName(json.resources.map((r: any) => ({ name: r.name, digest: r.digest })))).toEqual(sortByName(signedResources(sig)));
      for (const r of json.resources) expect(r.algorithm).toBe('sha256');
    }
  });

  it.each(SIGSTORE_CASES)('%s (sigstore, embedded production root) verifies', async (kase) => {
    const sig = golden(kase)['model.sig']!;
    const { status, json } = await verify({ bundle: sig, policy: SIGSTORE_POLICY });
    expect(status).toBe(200);
    expect(json.verified).toBe(true);
    expect(json.signer.identity).toBe(SIGSTORE_POLICY.identity);
    expect(sortByName(json.resources.map((r: any) => ({ name: r.name, digest: r.digest })))).toEqual(sortByName(signedResources(sig)));
  });

  it('a sigstore golden under another identity is not verified', async () => {
    const { status, json } = await verify({ bundle: golden('v1.1.0-sigstore')['model.sig'], policy: { ...SIGSTORE_POLICY, identity: 'someone@example.com' } });
    expect(status).toBe(200);
    expect(json.verified).toBe(false);
    expect(json.errors[0].code).toBe('IDENTITY_MISMATCH');
  });

  it('a sigstore bundle is never accepted under a key policy', async () => {
    const { json } = await verify({ bundle: golden('v1.1.0-sigstore')['model.sig'], policy: KEY_POLICY });
    expect(json.verified).toBe(false);
    expect(json.errors[0].code).toMatch(/^(BUNDLE_MATERIAL|BUNDLE_MEDIA_TYPE)$/);
  });
});

describe('POST /api/v1/verify: tampered bundles are 200 {verified: false}', () => {
  const sig = golden('v1.1.0-elliptic-key')['model.sig']!;
  const b = JSON.parse(sig);
  const payload = atob(b.dsseEnvelope.payload);

  const tampered: [string, unknown, string][] = [
    ['payload digest changed', { ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: btoa(payload.replace('bc9a717d', 'bc9a717e')) } }, 'SIGNATURE_INVALID'],
    [
      'signature bytes changed',
      { ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ sig: btoa(atob(b.dsseEnvelope.signatures[0].sig).slice(0, -1) + 'A'), keyid: '' }] } },
      'SIGNATURE_INVALID',
    ],
    ['key hint of another key', { ...b, verificationMaterial: { ...b.verificationMaterial, publicKey: { hint: '00'.repeat(32) } } }, 'KEY_MISMATCH'],
    ['payload type changed', { ...b, dsseEnvelope: { ...b.dsseEnvelope, payloadType: 'text/plain' } }, 'DSSE_PAYLOAD_TYPE'],
    ['media type changed', { ...b, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' }, 'BUNDLE_MEDIA_TYPE'],
    ['not a bundle at all', { hello: 'world' }, 'BUNDLE_MALFORMED'],
    ['certificate golden under the key policy', JSON.parse(golden('v1.1.0-certificate')['model.sig']!), 'BUNDLE_MATERIAL'],
  ];
  it.each(tampered)('%s', async (_name, bundle, code) => {
    const { status, json } = await verify({ bundle, policy: KEY_POLICY });
    expect(status).toBe(200);
    expect(json.verified).toBe(false);
    expect(json.resources).toEqual([]);
    expect(json.errors[0].code).toBe(code);
  });

  it('the certificate golden fails against an anchor that did not issue it', async () => {
    // An unrelated certificate as the only anchor: the Fulcio leaf of the sigstore golden.
    const der = JSON.parse(golden('v1.1.0-sigstore')['model.sig']!).verificationMaterial.certificate.rawBytes as string;
    const pem = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const { status, json } = await verify({ bundle: golden('v1.1.0-certificate')['model.sig'], policy: { method: 'certificate', certificateChain: pem } });
    expect(status).toBe(200);
    expect(json.verified).toBe(false);
    expect(json.errors[0].code).toBe('CERT_CHAIN_UNTRUSTED');
  });
});

describe('POST /api/v1/verify: malformed requests are 400, oversize 413', () => {
  const sig = golden('v1.1.0-elliptic-key')['model.sig']!;
  const bad: [string, unknown, number][] = [
    ['not JSON', '{"bundle": ', 400],
    ['JSON but not an object', '[1,2,3]', 400],
    ['no bundle', { policy: KEY_POLICY }, 400],
    ['bundle is a number', { bundle: 42, policy: KEY_POLICY }, 400],
    ['no policy', { bundle: sig }, 400],
    ['unknown method', { bundle: sig, policy: { method: 'magic' } }, 400],
    ['key policy without key', { bundle: sig, policy: { method: 'key' } }, 400],
    ['key policy with garbage PEM', { bundle: sig, policy: { method: 'key', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' } }, 400],
    ['sigstore policy without issuer', { bundle: sig, policy: { method: 'sigstore', identity: 'a@b' } }, 400],
    ['sigstore policy with a broken regexp', { bundle: sig, policy: { method: 'sigstore', identityRegexp: '(', issuer: 'x' } }, 400],
  ];
  it.each(bad)('%s → %i', async (_name, body, status) => {
    const r = await verify(body);
    expect(r.status).toBe(status);
    expect(typeof r.json.error.code).toBe('string');
    expect(typeof r.json.error.message).toBe('string');
  });

  it('a body over the limit is 413', async () => {
    const r = await api('/api/v1/verify', { method: 'POST', body: new Uint8Array(17 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

it('50 concurrent verify requests all complete with the right verdict', async () => {
  const good = golden('v1.1.0-elliptic-key')['model.sig']!;
  const cert = golden('v1.0.1-certificate')['model.sig']!;
  const reqs = Array.from({ length: 50 }, (_, i) => {
    const kind = i % 3;
    const body = kind === 0 ? { bundle: good, policy: KEY_POLICY } : kind === 1 ? { bundle: cert, policy: CERT_POLICY } : { bundle: cert, policy: KEY_POLICY };
    return verify(body).then((r) => ({ i, kind, ...r }));
  });
  const results = await Promise.all(reqs);
  expect(results).toHaveLength(50);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(r.json.verified).toBe(r.kind !== 2);
  }
});
