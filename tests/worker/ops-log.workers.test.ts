/**
 * Issue 16, the Worker's structured logs: one JSON line (console.log) per verify-API verdict and per gate
 * decision, with model, verdict, code and duration; captured here from the handler running in this isolate.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CERT_POLICY, direct, golden, KEY_POLICY, publish } from './helpers.js';

let lines: Record<string, unknown>[] = [];
const capture = () => {
  lines = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === 'string' && args[0].startsWith('{')) lines.push(JSON.parse(args[0]));
  });
};
afterEach(() => vi.restoreAllMocks());

const M = 'ops-log-key';
const g = golden('v1.1.0-elliptic-key');

beforeAll(async () => {
  await publish(M, g, KEY_POLICY);
});

const verify = (body: unknown) => direct('/api/v1/verify', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('verify API', () => {
  it('a verified signature: one line with the model, verified, method and duration', async () => {
    capture();
    const r = await verify({ bundle: g['model.sig'], policy: KEY_POLICY });
    expect(r.status).toBe(200);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'verify verdict', model: 'v1.1.0-elliptic-key', verified: true, method: 'key', status: 200 }),
    ]);
    expect(typeof lines[0]!.duration_ms).toBe('number');
    expect(Number.isNaN(Date.parse(lines[0]!.time as string))).toBe(false);
    expect(lines[0]).not.toHaveProperty('code');
  });

  it('a failed one carries the code the client got; a malformed request too', async () => {
    capture();
    const r = await verify({ bundle: g['model.sig'], policy: CERT_POLICY });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { errors: { code: string }[] };
    await verify({ bundle: 42, policy: KEY_POLICY });
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'verify verdict', verified: false, code: body.errors[0]!.code }),
      expect.objectContaining({ msg: 'verify verdict', verified: false, code: 'BAD_REQUEST', status: 400 }),
    ]);
  });
});

describe('download gate', () => {
  it('served and refused downloads: one decision line each, with model, path, code and duration', async () => {
    capture();
    const ok = await direct(`/models/${M}/signme-1`);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const unsigned = await direct(`/models/${M}/not-there`);
    expect(unsigned.status).toBe(403);
    const head = await direct(`/models/${M}/signme-2`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'gate decision', model: M, path: 'signme-1', request: 'GET', verdict: 'served', status: 200 }),
      expect.objectContaining({ msg: 'gate decision', model: M, path: 'not-there', verdict: 'refused', code: 'UNSIGNED_FILE', status: 403 }),
      expect.objectContaining({ msg: 'gate decision', model: M, path: 'signme-2', request: 'HEAD', verdict: 'served' }),
    ]);
    for (const l of lines) expect(typeof l.duration_ms).toBe('number');
  });

  it('a model whose signature fails its policy: refused with the signature’s code', async () => {
    await publish('ops-log-cert', g, CERT_POLICY);
    capture();
    const r = await direct('/models/ops-log-cert/signme-1');
    expect(r.status).toBe(403);
    expect(lines).toEqual([expect.objectContaining({ msg: 'gate decision', model: 'ops-log-cert', verdict: 'refused', code: r.headers.get('x-error-code') })]);
  });
});
