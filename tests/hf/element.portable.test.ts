/**
 * `<model-verify src="hf://org/model">` in Chromium (skipped where there is no DOM: Node, workerd). The Hub double
 * answers the page's fetches for its origins (web-standard, in-process); everything else goes to the real fetch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HubDouble, sha256Hex } from '../helpers/hub-double.js';
import { publishSigned, sampleModel } from './publish.js';

const dom = typeof document !== 'undefined' && typeof customElements !== 'undefined';
const hub = new HubDouble();
hub.hubOrigin = 'https://hub.invalid';
hub.cdnOrigin = 'https://cdn.invalid';
const realFetch = globalThis.fetch;

beforeAll(() => {
  if (!dom) return;
  globalThis.fetch = (input, init) => {
    const url = new Request(input, init).url;
    return url.startsWith(hub.hubOrigin) || url.startsWith(hub.cdnOrigin) ? hub.fetch(input, init) : realFetch(input, init);
  };
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

async function element(attrs: Record<string, string>, props: Record<string, unknown> = {}) {
  const { defineModelVerify } = await import('../../web/element/index.js');
  defineModelVerify();
  const el = document.createElement('model-verify') as unknown as HTMLElement & { verify(): Promise<any> } & Record<string, unknown>;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  Object.assign(el, props);
  document.body.append(el);
  return el;
}

describe.skipIf(!dom)('<model-verify src="hf://…">', () => {
  test('verified at the pinned commit, with the Hub claim; gated needs hfToken', async () => {
    const p = await publishSigned(hub, 'org/el', sampleModel(), { token: 'hf_el' });
    const policy = p.policy;
    const el = await element({ src: 'hf://org/el', 'hub-endpoint': hub.hubOrigin }, { policy, hfToken: 'hf_el' });
    const r = await el.verify();
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
    expect(r.model).toMatchObject({ source: `hf://org/el@${p.commit}`, revision: { requested: 'main', commit: p.commit } });
    expect(r.model.remoteClaim.status).toBe('match');
    expect(el.getAttribute('status')).toBe('verified');
    const noToken = await element({ src: 'hf://org/el', 'hub-endpoint': hub.hubOrigin }, { policy });
    const f = await noToken.verify();
    expect(f.verified).toBe(false);
    expect(f.errors[0].message).toMatch(/HTTP 401/);
  });

  test('tampered on the CDN fails; a precheck mismatch fails before download', async () => {
    const files = sampleModel();
    const p = await publishSigned(hub, 'org/el2', files);
    const oid = await sha256Hex(files['model.safetensors'] as Uint8Array);
    hub.cdnOverride.set(oid, new Uint8Array(5000));
    try {
      const r = await (await element({ src: 'hf://org/el2', 'hub-endpoint': hub.hubOrigin }, { policy: p.policy })).verify();
      expect(r.verified).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'model.safetensors' });
    } finally {
      hub.cdnOverride.clear();
    }
    await hub.commit('org/el2', { ...files, 'model.safetensors': new Uint8Array(5000).fill(2), 'model.sig': p.bundle });
    hub.log.length = 0;
    const m = await (await element({ src: 'hf://org/el2', 'hub-endpoint': hub.hubOrigin }, { policy: p.policy })).verify();
    expect(m.verified).toBe(false);
    expect(m.model.remoteClaim.status).toBe('mismatch');
    expect(hub.log.filter((l) => l.origin === 'cdn')).toEqual([]);
  });
});
