/**
 * Keyless signing through the real client code (core/sign/keyless) against the local Sigstore test stack
 * (tests/sign/stack: real ECDSA, X.509, SCT, Merkle proofs, checkpoints, SETs, RFC 3161), verified with our
 * verifier and with @sigstore/verify 3.1.1 as an independent oracle.
 */
import { createRequire } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { NodeSource } from '../../node/source.js';
import { keylessSigner, servicesFromConfig } from '../../core/sign/keyless/index.js';
import { signModel } from '../../core/sign/sign-model.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { buildMixedModel, REPO, tempDir } from './helpers.js';
import { OidcIssuer } from './stack/oidc.js';
import { createStack, type Stack } from './stack/stack.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

function oracle(bundle: Uint8Array, root: unknown, identity: string, issuer: string): void {
  const tm = toTrustMaterial(TrustedRoot.fromJSON(root));
  const san = new RegExp(`^${identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  new Verifier(tm, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(
    toSignedEntity(bundleFromJSON(JSON.parse(new TextDecoder().decode(bundle)))),
    {
      subjectAlternativeName: san,
      extensions: { issuer },
    },
  );
}

let stack: Stack;
let dir: string;
let model: string;
beforeAll(async () => {
  stack = await createStack();
  dir = tempDir('mv-keyless-');
  model = buildMixedModel(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function signWith(o: { token?: string; timestamp?: boolean; trustedRoot?: unknown; config?: unknown } = {}) {
  const signer = await keylessSigner({
    identityToken: o.token ?? (await stack.oidc.mint()),
    services: servicesFromConfig(o.config ?? stack.clientTrustConfig),
    trustedRoot: 'trustedRoot' in o ? o.trustedRoot : stack.trustedRoot,
    fetch: stack.fetch,
    ...(o.timestamp === false ? { timestamp: false } : {}),
  });
  return { signer, result: await signModel(await NodeSource.open(model), signer, { ignorePaths: ['ignore-me'], backend: new NodeCryptoBackend() }) };
}

describe('keyless signing against the local Sigstore stack', () => {
  it('signs with Fulcio + Rekor v1 dsse + TSA; our verifier and @sigstore/verify accept it', async () => {
    const before = stack.log.length;
    const { signer, result } = await signWith();
    expect(stack.log.slice(before)).toEqual(['POST /fulcio/api/v2/signingCert', 'POST /rekor/api/v1/log/entries', 'POST /tsa/api/v1/timestamp']);
    expect(signer.identity).toBe('signer@example.com');
    expect(signer.issuer).toBe(stack.oidc.url);
    const b = JSON.parse(new TextDecoder().decode(result.bundle));
    expect(b.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(Object.keys(b.verificationMaterial).sort()).toEqual(['certificate', 'timestampVerificationData', 'tlogEntries']);
    expect(b.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    expect(b.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);

    const report = await verifyModel(
      await NodeSource.open(model),
      result.bundle,
      { method: 'sigstore', identity: 'signer@example.com', issuer: stack.oidc.url },
      { trustedRoot: stack.trustedRoot, ignorePaths: ['ignore-me'] },
    );
    expect(report.errors).toEqual([]);
    expect(report.verified).toBe(true);
    expect(() => oracle(result.bundle, stack.trustedRoot, 'signer@example.com', stack.oidc.url)).not.toThrow();

    // A different identity or issuer must not verify, with either verifier.
    const wrong = await verifyModel(
      await NodeSource.open(model),
      result.bundle,
      { method: 'sigstore', identity: 'mallory@example.com', issuer: stack.oidc.url },
      { trustedRoot: stack.trustedRoot, ignorePaths: ['ignore-me'] },
    );
    expect(wrong.errors[0]?.code).toBe('IDENTITY_MISMATCH');
    expect(() => oracle(result.bundle, stack.trustedRoot, 'signer@example.com', 'https://other.issuer')).toThrow();
  });

  it('Rekor v2 (selected by the signing config): dsse 0.0.2 entry + RFC 3161 timestamp; our verifier accepts it', async () => {
    const before = stack.log.length;
    const { result } = await signWith({ config: stack.signingConfigV2 });
    expect(stack.log.slice(before)).toEqual(['POST /fulcio/api/v2/signingCert', 'POST /rekor2/api/v2/log/entries', 'POST /tsa/api/v1/timestamp']);
    const b = JSON.parse(new TextDecoder().decode(result.bundle));
    expect(b.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    expect(b.verificationMaterial.tlogEntries[0].inclusionPromise).toBeUndefined();
    const report = await verifyModel(
      await NodeSource.open(model),
      result.bundle,
      { method: 'sigstore', identity: 'signer@example.com', issuer: stack.oidc.url },
      { trustedRoot: stack.trustedRoot, ignorePaths: ['ignore-me'] },
    );
    expect(report.errors).toEqual([]);
    expect(() => oracle(result.bundle, stack.trustedRoot, 'signer@example.com', stack.oidc.url)).not.toThrow();
  });

  it("without a TSA the bundle relies on the log's integrated time and still verifies", async () => {
    const { result } = await signWith({ timestamp: false });
    const b = JSON.parse(new TextDecoder().decode(result.bundle));
    expect(b.verificationMaterial.timestampVerificationData).toBeUndefined();
    expect(() => oracle(result.bundle, stack.trustedRoot, 'signer@example.com', stack.oidc.url)).not.toThrow();
  });

  it('a token without an email claim is certified for its subject (URI SAN)', async () => {
    const { signer, result } = await signWith({
      token: await stack.oidc.mint({ email: undefined, sub: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main' }),
    });
    expect(signer.identity).toBe('https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main');
    expect(() => oracle(result.bundle, stack.trustedRoot, signer.identity, stack.oidc.url)).not.toThrow();
  });

  it('the self-check refuses a bundle that does not verify under the trust root in use (here: production)', async () => {
    await expect(signWith({ trustedRoot: undefined })).rejects.toThrow('was not written');
  });

  it('token problems fail clearly: expired (before any request), untrusted issuer (Fulcio refuses), not a JWT', async () => {
    const before = stack.log.length;
    await expect(signWith({ token: await stack.oidc.mint({ exp: 1_000_000 }) })).rejects.toMatchObject({ code: 'POLICY_INVALID' });
    expect(stack.log.length).toBe(before);
    const stranger = await OidcIssuer.create(`${stack.base}/stranger`);
    await expect(signWith({ token: await stranger.mint() })).rejects.toThrow(/Fulcio refused the request \(HTTP 401\).*untrusted issuer/);
    expect(stack.log.slice(before)).toEqual(['POST /fulcio/api/v2/signingCert']); // nothing reached the log
    await expect(signWith({ token: 'not-a-jwt' })).rejects.toMatchObject({ code: 'POLICY_INVALID' });
  });

  it('unreachable services are a SIGN_FAILED error naming the URL', async () => {
    const config = JSON.parse(JSON.stringify(stack.signingConfig).replaceAll(stack.base, 'http://unreachable.test'));
    await expect(signWith({ config })).rejects.toThrow(/cannot reach http:\/\/unreachable\.test\/fulcio/);
  });
});

describe('hostile or broken services never yield a bundle', () => {
  /** The stack's fetch with one service's JSON answer rewritten. */
  const rewriting = (route: string, edit: (body: any) => any) => async (url: string, init: RequestInit) => {
    const res = await stack.fetch(url, init);
    if (!url.endsWith(route)) return res;
    return new Response(JSON.stringify(edit(await res.json())), { status: res.status, headers: { 'content-type': 'application/json' } });
  };
  async function attempt(f: (url: string, init: RequestInit) => Promise<Response>) {
    const signer = await keylessSigner({
      identityToken: await stack.oidc.mint(),
      services: servicesFromConfig(stack.signingConfig),
      trustedRoot: stack.trustedRoot,
      fetch: f,
    });
    return signModel(await NodeSource.open(model), signer, { ignorePaths: ['ignore-me'] });
  }

  it('Fulcio certifying another key', async () => {
    const other = await createStack(stack.base); // same URLs, different keys
    const otherCert = await other
      .fetch(`${stack.base}/fulcio/api/v2/signingCert`, {
        method: 'POST',
        body: JSON.stringify(
          await (async () => {
            const k = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
            const { encodePem } = await import('../../core/crypto/pem.js');
            const { p1363ToDer } = await import('../../core/crypto/ecdsa-sig.js');
            const spki = new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey));
            const pop = p1363ToDer(
              new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, new TextEncoder().encode('signer@example.com'))),
            );
            return {
              credentials: { oidcIdentityToken: await other.oidc.mint() },
              publicKeyRequest: {
                publicKey: { algorithm: 'ECDSA', content: encodePem('PUBLIC KEY', spki) },
                proofOfPossession: Buffer.from(pop).toString('base64'),
              },
            };
          })(),
        ),
      })
      .then((r) => r.json());
    await expect(attempt(rewriting('/signingCert', () => otherCert))).rejects.toThrow('Fulcio certified a different public key');
  });

  it('Rekor answering with a proof for another tree, or a forged entry timestamp', async () => {
    const firstEntry = (b: any) => Object.values(b)[0] as any;
    await expect(attempt(rewriting('/log/entries', (b) => ((firstEntry(b).verification.inclusionProof.rootHash = 'ab'.repeat(32)), b)))).rejects.toThrow(
      'was not written',
    );
    await expect(
      attempt(rewriting('/log/entries', (b) => ((firstEntry(b).verification.signedEntryTimestamp = Buffer.alloc(70, 1).toString('base64')), b))),
    ).rejects.toThrow('was not written');
    await expect(attempt(rewriting('/log/entries', () => ({})))).rejects.toThrow('Rekor returned no log entry');
  });

  it('a TSA answering for different data', async () => {
    const f = async (url: string, init: RequestInit) => {
      if (!url.endsWith('/timestamp')) return stack.fetch(url, init);
      // Replay a timestamp over some other signature.
      const { requestTimestamp } = await import('../../core/sign/keyless/tsa.js');
      const other = await requestTimestamp(stack.fetch, url, new Uint8Array([9, 9, 9]));
      return new Response(other.slice().buffer, { status: 200 });
    };
    await expect(attempt(f)).rejects.toThrow(/covers different data|nonce/);
  });
});

describe('signing configuration', () => {
  it('reads the reference custom_trust_config.json (snake_case signing_config) → public-good services', () => {
    const cfg = JSON.parse(readFileSync(path.join(REPO, 'tests/fixtures/model-transparency/tests/_signing/testdata/custom_trust_config.json'), 'utf8'));
    const s = servicesFromConfig(cfg);
    expect(s.fulcio).toBe('https://fulcio.sigstore.dev');
    expect(s.rekor).toBe('https://rekor.sigstore.dev');
    expect(s.tsa).toMatch(/^https:\/\/timestamp\.sigstore\.dev/);
  });

  it('the first current log is selected (Rekor v2 needs a TSA); expired services are skipped', () => {
    expect(servicesFromConfig(stack.signingConfigV2)).toMatchObject({ rekor: `${stack.base}/rekor2`, rekorVersion: 2 });
    expect(servicesFromConfig(stack.signingConfig)).toMatchObject({ rekor: `${stack.base}/rekor`, rekorVersion: 1 });
    const v2NoTsa = { ...stack.signingConfigV2, tsaUrls: [] };
    expect(() => servicesFromConfig(v2NoTsa)).toThrow(/must list a timestamp authority/);
    const expired = {
      ...stack.signingConfig,
      caUrls: [{ url: 'https://old.test', majorApiVersion: 1, validFor: { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' } }],
    };
    expect(() => servicesFromConfig(expired)).toThrow(/no usable certificate authority/);
  });
});
