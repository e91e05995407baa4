/**
 * The core HfSource in Node, Chromium and workerd alike: the Hub double runs in-process behind `hub.fetch`
 * (web-standard Request → Response, redirects followed as fetch does), the model signed here by our signer.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { HfSource, hubPrecheck } from '../../core/sources/index.js';
import { verifyModel, verifySignature } from '../../core/verify/index.js';
import { HubDouble, sha256Hex } from '../helpers/hub-double.js';
import { publishSigned, sampleModel } from './publish.js';

const hub = new HubDouble();
const open = (spec: string, token?: string) => HfSource.open(spec, { endpoint: hub.hubOrigin, fetch: hub.fetch, ...(token ? { token } : {}) });

beforeAll(async () => {
  // workerd refuses runtime wasm compilation: use its statically imported hashers, as the Worker does.
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') (await import('../../workerd/hashers.js')).registerWorkerdHashers();
});

describe('HfSource (portable)', () => {
  test('verified at the pinned commit; the Hub claims a match', async () => {
    const p = await publishSigned(hub, 'org/p', sampleModel(), { token: 'hf_t' });
    const src = await open('hf://org/p', 'hf_t');
    expect(src.commit).toBe(p.commit);
    const r = await verifyModel(src, p.bundle, p.policy, { ignorePaths: ['model.sig'] });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(hub.log.some((l) => l.origin === 'cdn')).toBe(true);
    expect(hub.log.filter((l) => l.origin === 'cdn').some((l) => l.auth)).toBe(false);
    const { manifest } = await verifySignature(await src.readFile('model.sig', 'signature'), p.policy);
    expect(hubPrecheck(src, manifest).status).toBe('match');
  });

  test('tampered on the CDN, gated without a token', async () => {
    const files = sampleModel();
    const p = await publishSigned(hub, 'org/q', files, { token: 'hf_t' });
    await expect(open('hf://org/q')).rejects.toThrow(/HTTP 401/);
    const oid = await sha256Hex(files['model.safetensors'] as Uint8Array);
    hub.cdnOverride.set(oid, new Uint8Array(5000));
    try {
      const r = await verifyModel(await open('hf://org/q', 'hf_t'), p.bundle, p.policy, { ignorePaths: ['model.sig'] });
      expect(r.verified).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
    } finally {
      hub.cdnOverride.delete(oid);
    }
  });
});
