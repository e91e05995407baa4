/** Shared by the workerd tests: golden fixtures (imported as text, no fs in workerd) and publishing helpers. */
import { env, SELF } from 'cloudflare:test';
import worker from '../../worker/index.js';
import { sha256, toHex, utf8Encode } from '../../core/util/bytes.js';

export const ADMIN = 'test-admin-token';
export const BASE = 'http://edge.test';
const DIR = '../fixtures/model-transparency/scripts/tests';

const files = import.meta.glob('../fixtures/model-transparency/scripts/tests/*/*', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const keys = import.meta.glob('../fixtures/model-transparency/scripts/tests/keys/certificate/*.pem', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export const PUBLIC_KEY = keys[`${DIR}/keys/certificate/signing-key-pub.pem`]!;
export const CA_CERT = keys[`${DIR}/keys/certificate/ca-cert.pem`]!;

/** Files of one golden case directory, by name (model.sig included). */
export function golden(kase: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, text] of Object.entries(files)) {
    if (p.startsWith(`${DIR}/${kase}/`)) out[p.slice(DIR.length + kase.length + 2)] = text;
  }
  if (!out['model.sig']) throw new Error(`no golden ${kase}`);
  return out;
}

export const SIGSTORE_POLICY = { method: 'sigstore', identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' } as const;
export const KEY_POLICY = { method: 'key', publicKey: PUBLIC_KEY } as const;
export const CERT_POLICY = { method: 'certificate', certificateChain: [CA_CERT] } as const;

export function api(path: string, init: RequestInit & { admin?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.admin) headers.set('authorization', `Bearer ${ADMIN}`);
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

/**
 * The Worker's fetch handler called directly in this workerd isolate with the real bindings. For long request
 * runs: with vitest-pool-workers 0.15.1 every SELF/exports request gets slower than the one before (the
 * 100th trivial 404 takes ~0.1 s, the 400th ~0.3 s), which a direct call does not.
 */
export function direct(path: string, init: RequestInit & { admin?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.admin) headers.set('authorization', `Bearer ${ADMIN}`);
  return worker.fetch(new Request(`${BASE}${path}`, { ...init, headers }), env);
}

export async function putObject(model: string, path: string, body: string | Uint8Array): Promise<Response> {
  const r = await api(`/api/v1/models/${model}/files/${path}`, {
    method: 'PUT',
    body: (typeof body === 'string' ? utf8Encode(body) : body) as BodyInit,
    admin: true,
  });
  return r;
}

export async function putPolicy(model: string, policy: unknown): Promise<Response> {
  return api(`/api/v1/models/${model}/policy`, { method: 'PUT', body: JSON.stringify(policy), admin: true });
}

/** Publishes a model: policy first, then every file, the signature last (the usual release order). */
export async function publish(model: string, files: Record<string, string | Uint8Array>, policy: unknown): Promise<void> {
  const p = await putPolicy(model, policy);
  if (p.status !== 200) throw new Error(`policy: ${p.status} ${await p.text()}`);
  const entries = Object.entries(files).sort(([a], [b]) => (a === 'model.sig' ? 1 : b === 'model.sig' ? -1 : a < b ? -1 : 1));
  for (const [path, body] of entries) {
    const r = await putObject(model, path, body);
    if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  }
}

export async function hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  return toHex(await sha256(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)));
}

/** The signed statement of a bundle (test-side reading, to compare what the API returns with the file). */
export function statementOf(bundleText: string): { predicate: { resources: { name: string; algorithm: string; digest: string }[] }; subject?: unknown } {
  const b = JSON.parse(bundleText);
  return JSON.parse(atob(b.dsseEnvelope.payload));
}
