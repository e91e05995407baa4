/**
 * The Worker's answers against report.schema.json, validated here in workerd (ajv compiles its validator with
 * generated code, which vitest-pool-workers allows in the test isolate; the deployed Worker never runs ajv).
 * GET /api/v1/models/<model> is core's v1 report plus three edge members; POST /api/v1/verify checks a
 * signature only (no model bytes), so it is not a report, but its signer and errors are the report's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../core/sign/index.js';
import { REPORT_MEDIA_TYPE } from '../../core/verify/report.js';
import { REPORT_SCHEMA, schemaErrors } from '../helpers/report-schema.js';
import { api, CERT_POLICY, golden, KEY_POLICY, publish, putObject, putPolicy, SIGSTORE_POLICY } from './helpers.js';

/** What the model state adds to the report (worker/api/state.ts): the stored policy, whether model.sig exists, the gate URL. */
const EDGE_MEMBERS = ['gate', 'policy', 'signaturePresent'];

async function state(model: string): Promise<{ report: any; edge: Record<string, unknown> }> {
  const r = await api(`/api/v1/models/${model}`);
  expect(r.status).toBe(200);
  const all = (await r.json()) as Record<string, unknown>;
  const report: Record<string, unknown> = {};
  const edge: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) (EDGE_MEMBERS.includes(k) ? edge : report)[k] = v;
  // Every other member is the report's: a new edge member must be documented here and in the README.
  expect(Object.keys(edge).sort()).toEqual(EDGE_MEMBERS);
  return { report, edge };
}

function expectReport(report: any): void {
  expect(schemaErrors(report), JSON.stringify(report.errors)).toEqual([]);
  expect(report.mediaType).toBe(REPORT_MEDIA_TYPE);
}

const MODELS: [string, string, unknown, 'key' | 'certificate' | 'sigstore'][] = [
  ['schema-key', 'v1.1.0-elliptic-key', KEY_POLICY, 'key'],
  ['schema-cert', 'v1.1.0-certificate', CERT_POLICY, 'certificate'],
  ['schema-sigstore', 'v1.1.0-sigstore', SIGSTORE_POLICY, 'sigstore'],
];

describe('GET /api/v1/models/<model>: the v1 report', () => {
  beforeAll(async () => {
    for (const [model, kase, policy] of MODELS) await publish(model, golden(kase), policy);
  });

  it.each(MODELS)('%s (%s) verified', async (model, _kase, _policy, method) => {
    const { report, edge } = await state(model);
    expectReport(report);
    expect(report.verified).toBe(true);
    expect(report.signer.method).toBe(method);
    expect(report.model).toEqual({ name: model, listable: true });
    expect(edge).toMatchObject({ signaturePresent: true, gate: `/models/${model}/` });
  });

  it.each(MODELS)('%s (%s) with a tampered file: failed, the signer still reported', async (model, kase, _policy, method) => {
    expect((await putObject(model, 'signme-1', 'tampered')).status).toBe(201);
    const { report } = await state(model);
    expectReport(report);
    expect(report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
    expect(report.signer.method).toBe(method);
    expect((await putObject(model, 'signme-1', golden(kase)['signme-1']!)).status).toBe(201);
  });

  it('a policy the signature does not meet: wrong key, another identity', async () => {
    const other = await generateSigningKey('P-256');
    expect((await putPolicy('schema-key', { method: 'key', publicKey: other.publicKeyPem })).status).toBe(200);
    expect((await putPolicy('schema-sigstore', { ...SIGSTORE_POLICY, identity: 'someone@example.com' })).status).toBe(200);
    const key = (await state('schema-key')).report;
    const id = (await state('schema-sigstore')).report;
    for (const [r, code] of [
      [key, 'KEY_MISMATCH'],
      [id, 'IDENTITY_MISMATCH'],
    ] as const) {
      expectReport(r);
      expect(r.verified).toBe(false);
      expect(r.errors[0].code).toBe(code);
    }
    await putPolicy('schema-key', KEY_POLICY);
    await putPolicy('schema-sigstore', SIGSTORE_POLICY);
  });

  it('a signature that parses but cannot verify (payload type changed)', async () => {
    const b = JSON.parse(golden('v1.1.0-elliptic-key')['model.sig']!);
    b.dsseEnvelope.payloadType = 'text/plain';
    await publish('schema-bad-sig', { ...golden('v1.1.0-elliptic-key'), 'model.sig': JSON.stringify(b) }, KEY_POLICY);
    const { report } = await state('schema-bad-sig');
    expectReport(report);
    expect(report.verified).toBe(false);
    expect(report.signer).toBeUndefined();
  });

  it('without a policy the answer is a state, not a report (no mediaType, an API code)', async () => {
    expect((await putObject('schema-no-policy', 'a.bin', 'x')).status).toBe(201);
    const s = (await (await api('/api/v1/models/schema-no-policy')).json()) as any;
    expect(s.mediaType).toBeUndefined();
    expect(s.errors[0].code).toBe('NO_SIGNATURE');
    expect(REPORT_SCHEMA.$defs.errorCode.enum).not.toContain('NO_SIGNATURE');
  });
});

describe("POST /api/v1/verify: a signature verdict, with the report's signer and errors", () => {
  async function verify(bundle: unknown, policy: unknown): Promise<any> {
    const r = await api('/api/v1/verify', { method: 'POST', body: JSON.stringify({ bundle, policy }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    return r.json();
  }

  it.each(MODELS)('%s: the signer satisfies the schema', async (_model, kase, policy, method) => {
    const j = await verify(golden(kase)['model.sig'], policy);
    expect(j.verified).toBe(true);
    expect(j.mediaType).toBeUndefined();
    expect(j.signer.method).toBe(method);
    expect(schemaErrors(j.signer, 'signer')).toEqual([]);
  });

  it('failures carry schema-valid errors', async () => {
    for (const [bundle, policy] of [
      [{ hello: 'world' }, KEY_POLICY],
      [golden('v1.1.0-sigstore')['model.sig'], KEY_POLICY],
      [golden('v1.1.0-sigstore')['model.sig'], { ...SIGSTORE_POLICY, identity: 'someone@example.com' }],
    ] as const) {
      const j = await verify(bundle, policy);
      expect(j.verified).toBe(false);
      expect(j.errors.length).toBeGreaterThan(0);
      for (const e of j.errors) expect(schemaErrors(e, 'error')).toEqual([]);
    }
  });
});
