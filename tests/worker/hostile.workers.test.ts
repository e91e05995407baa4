/**
 * 1,000 malformed or hostile requests against the Worker in workerd: bad JSON, huge bodies, traversal in
 * names, wrong methods, bad tokens, garbage ranges, mutated bundles. None may produce a 5xx, every refusal
 * carries `{error: {code, message}}`, and nothing an unauthenticated request sends is stored.
 */
import { env } from 'cloudflare:test';
import { beforeAll, expect, it } from 'vitest';
import { api, direct, golden, KEY_POLICY, publish } from './helpers.js';

const M = 'victim';
const g = golden('v1.1.0-elliptic-key');
const sig = g['model.sig']!;

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const randBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

interface Case {
  what: string;
  path: string;
  init: RequestInit & { admin?: boolean };
  /** Must not be stored: the R2 key a successful write would create. */
  forbiddenKey?: string;
}

const TRAVERSAL = [
  '..%2f..%2fsecret',
  '%2e%2e/%2e%2e/x',
  '..%5c..%5cx',
  'a/%2e%2e/%2e%2e/b',
  '%00',
  'a%00b',
  '%zz',
  '%c0%af',
  '%ff%fe',
  '.',
  './a',
  'a//b',
  'a/./b',
  'a/',
  '/abs',
  '\\\\server\\share',
  'C:%5cwin',
  'x'.repeat(5000),
  '%2fetc%2fpasswd',
  'a\tb',
  '%7f',
];
const NAMES = ['..', '.hidden', '%2e%2e', 'a%2fb', '-x', 'x'.repeat(200), '%00', '%zz', 'ünï', 'a b', M];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND'];
const TOKENS = [
  undefined,
  '',
  'Bearer',
  'Bearer ',
  'Bearer wrong',
  'Basic dGVzdDp0ZXN0',
  `Bearer ${'x'.repeat(5000)}`,
  'bearer test-admin-token',
  'Bearer test-admin-token2',
  'Bearer test-admin-tokeN',
  'Bearer  test-admin-token',
];

function mutateBundle(): string {
  const b = new TextEncoder().encode(sig);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
  return new TextDecoder().decode(b);
}

function badJson(): string {
  return pick([
    '',
    '{',
    '{"bundle":',
    'null',
    '[]',
    '"str"',
    '1e999',
    '{"bundle": {}, "policy": []}',
    '{"__proto__": {"polluted": 1}}',
    '['.repeat(100_000) + ']'.repeat(100_000),
    '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
    '\u0000\u0001',
    '\ufeff{}',
    JSON.stringify({ bundle: sig, policy: { method: 'key', publicKey: 'x'.repeat(300_000) } }),
    JSON.stringify({ bundle: sig, policy: { method: 'certificate', certificateChain: Array(100).fill('pem') } }),
    JSON.stringify({ bundle: sig, policy: { method: 'sigstore', identityRegexp: '(a+)+$', issuer: 'i' } }),
    JSON.stringify({ bundle: mutateBundle(), policy: KEY_POLICY }),
    JSON.stringify({ bundle: { ...JSON.parse(sig), dsseEnvelope: { payload: 123 } }, policy: KEY_POLICY }),
    JSON.stringify({
      bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: 7 } } },
      policy: KEY_POLICY,
    }),
  ]);
}

function makeCase(i: number): Case {
  switch (i % 10) {
    case 0:
      return { what: 'bad JSON to verify', path: '/api/v1/verify', init: { method: 'POST', body: badJson() } };
    case 1:
      return { what: 'random bytes to verify', path: '/api/v1/verify', init: { method: 'POST', body: randBytes(Math.floor(rand() * 4096)) } };
    case 2: {
      const t = pick(TRAVERSAL);
      return { what: 'traversal in a download path', path: `/models/${M}/${t}`, init: { method: pick(['GET', 'HEAD']) } };
    }
    case 3: {
      const t = pick(TRAVERSAL);
      return { what: 'traversal in a publish path', path: `/api/v1/models/${M}/files/${t}`, init: { method: 'PUT', body: 'evil', admin: true } };
    }
    case 4: {
      const n = pick(NAMES);
      return {
        what: 'hostile model name',
        path: pick([`/api/v1/models/${n}`, `/models/${n}/signme-1`, `/api/v1/models/${n}/policy`]),
        init: { method: 'GET' },
      };
    }
    case 5: {
      const m = pick(METHODS.filter((x) => x !== 'GET' && x !== 'HEAD' && x !== 'OPTIONS'));
      return {
        what: `wrong method ${m}`,
        path: pick([`/models/${M}/signme-1`, '/api/v1/models', `/api/v1/models/${M}`]),
        init: { method: m, ...(m === 'TRACE' ? {} : { body: 'x' }) },
      };
    }
    case 6: {
      const m = pick(['GET', 'PATCH', 'DELETE']);
      return { what: `wrong method ${m} on verify`, path: '/api/v1/verify', init: { method: m } };
    }
    case 7: {
      const token = pick(TOKENS);
      const path = pick(['signme-1', 'new-file', 'model.sig']);
      return {
        what: `bad token '${String(token).slice(0, 30)}'`,
        path: pick([`/api/v1/models/${M}/files/${path}`, `/api/v1/models/${M}/policy`]),
        init: {
          method: pick(['PUT', 'DELETE']),
          body: JSON.stringify({ method: 'key', publicKey: 'attacker' }),
          headers: token === undefined ? {} : { authorization: token },
        },
        forbiddenKey: path === 'new-file' ? `m/${M}/new-file` : undefined,
      };
    }
    case 8: {
      const range = pick([
        'bytes=',
        'bytes=-',
        'bytes=5-2',
        'bytes=99999999999999999999-',
        'bytes=0-0,2-3',
        'items=0-1',
        'bytes=-0',
        'bytes=abc',
        '\u0001',
        'bytes=9007199254740993-',
      ]);
      return {
        what: `garbage range '${range}'`,
        path: `/models/${M}/${pick(['signme-1', 'signme-2', 'ignore-me'])}`,
        init: { headers: { range: range.replace(/[^\x20-\x7e]/g, '') } },
      };
    }
    default: {
      const body = pick([mutateBundle(), randBytes(200), '', '{}', sig.slice(0, 100)]);
      return {
        what: 'garbage signature or policy from the admin',
        path: pick([`/api/v1/models/${M}-scratch/files/model.sig`, `/api/v1/models/${M}-scratch/policy`]),
        init: { method: 'PUT', body, admin: true },
      };
    }
  }
}

beforeAll(async () => {
  await publish(M, g, KEY_POLICY);
});

it('1,000 hostile requests: zero 5xx, typed errors, nothing stored without the token', async () => {
  const cases = Array.from({ length: 990 }, (_, i) => makeCase(i));
  // Huge bodies: past every limit, with and without a declared length.
  const huge = new Uint8Array(17 * 1024 * 1024);
  cases.push(
    { what: 'huge verify body', path: '/api/v1/verify', init: { method: 'POST', body: huge } },
    {
      what: 'huge verify body, streamed without length',
      path: '/api/v1/verify',
      init: { method: 'POST', body: new Blob([huge]).stream(), duplex: 'half' } as RequestInit,
    },
    { what: 'huge policy', path: `/api/v1/models/${M}-scratch/policy`, init: { method: 'PUT', body: huge, admin: true } },
    {
      what: 'huge signature',
      path: `/api/v1/models/${M}-scratch/files/model.sig`,
      init: { method: 'PUT', body: new Uint8Array(65 * 1024 * 1024), admin: true },
    },
    {
      what: 'object without a length',
      path: `/api/v1/models/${M}-scratch/files/x.bin`,
      init: { method: 'PUT', body: new Blob([new Uint8Array(10)]).stream(), duplex: 'half', admin: true } as RequestInit,
    },
    { what: 'verify with a text content type', path: '/api/v1/verify', init: { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } } },
    { what: 'unknown API route', path: '/api/v2/verify', init: {} },
    { what: 'unknown API route', path: '/api/v1/models/a/b/c', init: {} },
    { what: 'gate without a path', path: '/models/victim', init: {} },
    { what: 'gate root', path: '/models/', init: {} },
  );
  expect(cases).toHaveLength(1000);

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < cases.length; i += 25) {
    await Promise.all(
      cases.slice(i, i + 25).map(async (c) => {
        let r: Response;
        try {
          r = await direct(c.path, c.init);
        } catch (e) {
          // The client refused to send it (e.g. an invalid header value): nothing reached the Worker.
          failures.push(`client: ${c.what}: ${(e as Error).message}`);
          return;
        }
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const text = new TextDecoder().decode(await r.arrayBuffer());
        // URL parsing resolves dot segments first: '/models/m/%2e%2e/x' reaches the Worker as '/x'.
        const seen = new URL(`http://edge.test${c.path}`).pathname;
        if (r.status >= 500) failures.push(`${r.status} ${c.what} ${c.path.slice(0, 80)}: ${text.slice(0, 200)}`);
        if (r.status >= 400 && (seen.startsWith('/api/') || seen.startsWith('/models/'))) {
          expect(r.headers.get('x-error-code'), c.what).toMatch(/^[A-Z_]+$/);
          if (c.init.method !== 'HEAD') {
            const body = JSON.parse(text) as { error: { code: string; message: string } };
            expect(typeof body.error.code, c.what).toBe('string');
            expect(typeof body.error.message, c.what).toBe('string');
          }
        }
      }),
    );
  }
  expect(failures.filter((f) => !f.startsWith('client:'))).toEqual([]);
  // Almost every request reaches the Worker (a client may refuse a few header values before sending).
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(990);
  expect([...statuses.keys()].every((s) => s < 500)).toBe(true);

  // Every stored key is a canonical path inside the model it was published to. (Clients resolve dot
  // segments before sending, so the admin's 'a/./b' legitimately arrives, and is stored, as 'a/b'.)
  const all = (await env.MODELS.list({ prefix: '' })).objects.map((o) => o.key);
  for (const k of all) {
    // The admin's mutated bundles that still parse are legitimately stored in the scratch model.
    const prefix = [`m/${M}/`, `m/${M}-scratch/`].find((x) => k.startsWith(x));
    expect(prefix, k).toBeDefined();
    const p = k.slice(prefix!.length);
    expect(
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && !/[\u0000-\u001f\\]/.test(s)),
      k,
    ).toBe(true);
  }
  // Unauthenticated writes changed nothing: no new object, the signed objects and the policy are intact.
  expect(all).not.toContain(`m/${M}/new-file`);
  for (const f of ['signme-1', 'signme-2', 'model.sig']) expect(await (await env.MODELS.get(`m/${M}/${f}`))!.text()).toBe(g[f]);
  const policy = (await (await api(`/api/v1/models/${M}/policy`)).json()) as { policy: unknown };
  expect(policy.policy).toEqual(KEY_POLICY);
  expect((await api(`/models/${M}/signme-1`)).status).toBe(200);
}, 300_000);
