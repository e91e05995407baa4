/**
 * The local Sigstore test stack: OIDC issuer, Fulcio-like CA (+ CT log), Rekor-like log, RFC 3161 TSA,
 * described by its own trusted_root.json and signing config. `fetch` routes requests to the services in
 * process (portable: Node, Chromium, workerd); server.ts serves the same routes over loopback HTTP for the CLI.
 */
import { toBase64 } from '../../../core/util/bytes.js';
import { HttpError, TestFulcio } from './fulcio.js';
import { OidcIssuer } from './oidc.js';
import { TestRekor, TestRekorV2 } from './rekor.js';
import { TestTsa } from './tsa.js';

export interface Stack {
  base: string;
  oidc: OidcIssuer;
  fulcio: TestFulcio;
  rekor: TestRekor;
  rekorV2: TestRekorV2;
  tsa: TestTsa;
  trustedRoot: Record<string, unknown>;
  signingConfig: Record<string, unknown>;
  /** The same services, but with the Rekor v2 log selected. */
  signingConfigV2: Record<string, unknown>;
  clientTrustConfig: Record<string, unknown>;
  /** Requests seen, as "METHOD path". */
  log: string[];
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  handle(method: string, path: string, type: string, body: Uint8Array): Promise<{ status: number; type: string; body: Uint8Array }>;
}

const START = { start: '2024-01-01T00:00:00Z' };
const json = (v: unknown) => ({ status: 200, type: 'application/json', body: new TextEncoder().encode(JSON.stringify(v)) });

export async function createStack(base = 'http://sigstore.test'): Promise<Stack> {
  const oidc = await OidcIssuer.create(`${base}/oidc`);
  const fulcio = await TestFulcio.create([oidc]);
  const rekor = await TestRekor.create(new URL(base).host); // checkpoint signer name = the log's host
  const rekorV2 = await TestRekorV2.create(`log2026-1.${new URL(base).hostname}`);
  const tsa = await TestTsa.create();
  const b64 = toBase64;
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: `${base}/rekor`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(rekor.spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: START },
        logId: { keyId: b64(rekor.logId) },
      },
      {
        baseUrl: `https://${rekorV2.hostname}`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(rekorV2.spki), keyDetails: 'PKIX_ED25519', validFor: START },
        logId: { keyId: b64(rekorV2.logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'test', commonName: 'test-fulcio' },
        uri: `${base}/fulcio`,
        certChain: { certificates: [{ rawBytes: b64(fulcio.intermediate.der) }, { rawBytes: b64(fulcio.root.der) }] },
        validFor: START,
      },
    ],
    ctlogs: [
      {
        baseUrl: `${base}/ct`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(fulcio.ctSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: START },
        logId: { keyId: b64(new Uint8Array(await crypto.subtle.digest('SHA-256', fulcio.ctSpki.slice().buffer))) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'test', commonName: 'test-tsa' },
        uri: `${base}/tsa`,
        certChain: { certificates: [{ rawBytes: b64(tsa.leaf) }, { rawBytes: b64(tsa.root.der) }] },
        validFor: START,
      },
    ],
  };
  const svc = (url: string) => ({ url, majorApiVersion: 1, validFor: START, operator: 'test' });
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [svc(`${base}/fulcio`)],
    oidcUrls: [svc(`${base}/oidc`)],
    rekorTlogUrls: [svc(`${base}/rekor`)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [svc(`${base}/tsa/api/v1/timestamp`)],
    tsaConfig: { selector: 'ANY' },
  };
  const signingConfigV2 = { ...signingConfig, rekorTlogUrls: [{ ...svc(`${base}/rekor2`), majorApiVersion: 2 }, svc(`${base}/rekor`)] };
  const clientTrustConfig = { mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json', trustedRoot, signingConfig };
  const log: string[] = [];

  async function handle(method: string, path: string, type: string, body: Uint8Array) {
    log.push(`${method} ${path}`);
    try {
      if (method === 'GET' && path === '/oidc/.well-known/openid-configuration') return json(oidc.discovery());
      if (method !== 'POST') throw new HttpError(405, 'POST only');
      if (path === '/oidc/device/code') return json(oidc.deviceCode());
      if (path === '/oidc/token') {
        const r = await oidc.token(new URLSearchParams(new TextDecoder().decode(body)));
        return { ...json(r), status: r.error ? 400 : 200 };
      }
      if (path === '/fulcio/api/v2/signingCert') return json(await fulcio.signingCert(JSON.parse(new TextDecoder().decode(body))));
      if (path === '/rekor2/api/v2/log/entries') return json(await rekorV2.createEntry(JSON.parse(new TextDecoder().decode(body))));
      if (path === '/rekor/api/v1/log/entries') return { ...json(await rekor.createEntry(JSON.parse(new TextDecoder().decode(body)))), status: 201 };
      if (path === '/tsa/api/v1/timestamp') {
        if (type !== 'application/timestamp-query') throw new HttpError(415, 'expected application/timestamp-query');
        return { status: 200, type: 'application/timestamp-reply', body: await tsa.timestamp(body) };
      }
      throw new HttpError(404, `no route ${path}`);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      return {
        status,
        type: 'application/json',
        body: new TextEncoder().encode(JSON.stringify({ code: status, error: (e as Error).message, message: (e as Error).message })),
      };
    }
  }

  return {
    base,
    oidc,
    fulcio,
    rekor,
    rekorV2,
    tsa,
    trustedRoot,
    signingConfig,
    signingConfigV2,
    clientTrustConfig,
    log,
    handle,
    async fetch(url, init) {
      const u = new URL(url);
      if (`${u.protocol}//${u.host}` !== new URL(base).origin) throw new TypeError(`fetch failed: ${url} is not the test stack`);
      const headers = new Headers(init.headers);
      const body = init.body === undefined || init.body === null ? new Uint8Array() : new Uint8Array(await new Response(init.body).arrayBuffer());
      const r = await handle(init.method ?? 'GET', u.pathname, headers.get('content-type') ?? '', body);
      return new Response(r.body.slice().buffer, { status: r.status, headers: { 'content-type': r.type } });
    },
  };
}
