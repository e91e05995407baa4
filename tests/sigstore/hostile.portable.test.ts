/**
 * Hostile input: seeded mutations of the Sigstore goldens (bytes inside every base64 field, JSON values, the
 * checkpoint text) must always fail with a typed error — never INTERNAL, never a false accept.
 */
import { describe, expect, test } from 'vitest';
import { verifySignature } from '../../core/verify/verify-model.js';
import { isModelVerifyError } from '../../core/errors.js';
import { fromBase64, toBase64 } from '../../core/util/bytes.js';
import { GOLDENS, POLICY } from './fixtures.js';
import { parseBundle } from '../../core/bundle/reader.js';
import { parseTrustRoot, verifySigstoreBundle } from '../../core/sigstore/index.js';
import { sha256, toHex, utf8Encode } from '../../core/util/bytes.js';
import { createInstance } from './instance.js';

type Json = Record<string, unknown> | unknown[];

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every string leaf of the JSON with its setter. */
function leaves(j: Json, out: { get: () => string; set: (v: unknown) => void; key: string }[] = [], key = ''): typeof out {
  for (const [k, v] of Object.entries(j)) {
    const o = j as Record<string, unknown>;
    if (typeof v === 'string') out.push({ get: () => o[k] as string, set: (x) => (o[k] = x), key: `${key}.${k}` });
    else if (v && typeof v === 'object') leaves(v as Json, out, `${key}.${k}`);
  }
  return out;
}

const CASES = Number((globalThis as { process?: { env?: Record<string, string> } }).process?.env?.SIGSTORE_FUZZ_CASES ?? 150);

/** One seeded mutation of a string leaf of the bundle JSON; null when it changed nothing. */
function mutate(bundle: string, random: () => number): { text: string; key: string } | null {
  const j = JSON.parse(bundle) as Json;
  const ls = leaves(j).filter((l) => l.key !== '.mediaType' && !l.key.endsWith('.keyid'));
  const l = ls[Math.floor(random() * ls.length)]!;
  const v = l.get();
  const kind = random();
  let mutated: unknown;
  const decoded = (() => {
    try {
      return v.length >= 8 ? fromBase64(v, 'x') : null;
    } catch {
      return null;
    }
  })();
  if (decoded && kind < 0.6) {
    const b = decoded;
    const at = Math.floor(random() * b.length);
    if (kind < 0.4) b[at]! ^= 1 << Math.floor(random() * 8);
    else b[at] = Math.floor(random() * 256);
    mutated = toBase64(kind < 0.5 ? b : b.subarray(0, Math.max(0, at)));
  } else if (kind < 0.7) {
    const at = Math.floor(random() * v.length);
    mutated = v.slice(0, at) + String.fromCharCode(33 + Math.floor(random() * 90)) + v.slice(at + 1);
  } else if (kind < 0.8) mutated = v.slice(0, Math.floor(random() * v.length));
  else if (kind < 0.9) mutated = [null, 0, -1, {}, [], true, '', '99999999999999999999'][Math.floor(random() * 8)];
  else mutated = v + v;
  if (mutated === v) return null;
  l.set(mutated);
  return { text: JSON.stringify(j), key: l.key };
}

async function expectTypedOrUnchanged(run: () => Promise<unknown>, original: string, key: string): Promise<void> {
  try {
    // Accepted mutations exist only in bytes no signature covers and nothing reads (e.g. the certificates
    // embedded in a timestamp token, which are ignored by design); they must not change the outcome.
    const r = (await run()) as { signer: unknown };
    expect(JSON.stringify(r.signer), `accepted mutation of ${key} changed the result`).toBe(original);
  } catch (e) {
    if ((e as { name?: string }).name === 'AssertionError') throw e;
    expect(isModelVerifyError(e), `${key}: ${String(e)}`).toBe(true);
    expect((e as { code: string }).code, `${key}: ${(e as Error).message}`).not.toBe('INTERNAL');
  }
}

describe.each(GOLDENS)('$name', (g) => {
  test(`${CASES} seeded mutations fail with a typed error or change nothing that is reported`, async () => {
    const random = rng(0x5eed + g.name.length);
    const original = JSON.stringify((await verifySignature(g.bundle, POLICY)).signer);
    for (let i = 0; i < CASES; i++) {
      const m = mutate(g.bundle, random);
      if (m) await expectTypedOrUnchanged(() => verifySignature(m.text, POLICY), original, m.key);
    }
  });
});

describe('private-instance bundles (message signatures, Rekor v2, TSA)', async () => {
  const inst = await createInstance();
  const trust = parseTrustRoot(inst.trustedRoot, 'test');
  const artifact = utf8Encode('fuzzed artifact');
  const st = utf8Encode(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a', digest: { sha256: toHex(await sha256(artifact)) } }],
      predicateType: 'x',
      predicate: {},
    }),
  );
  const who = { kind: 'identity', policy: { method: 'sigstore', identity: 'signer@example.com', issuer: 'https://issuer.test' } } as const;
  const bundles: [string, string][] = [
    ['hashedrekord v1 + TSA', await inst.bundle({ artifact, rekor: 'v1', tsa: true })],
    ['hashedrekord v2 + TSA', await inst.bundle({ artifact, rekor: 'v2', tsa: true })],
    ['dsse v2 + TSA', await inst.bundle({ statement: st, rekor: 'v2', kind: 'dsse', tsa: true })],
    ['intoto v1', await inst.bundle({ statement: st, rekor: 'v1', kind: 'intoto' })],
  ];
  test.each(bundles)(`%s: ${CASES} seeded mutations`, async (name, bundle) => {
    const random = rng(0xbad + name.length);
    const run = (text: string) => verifySigstoreBundle(parseBundle(text), who, trust, { bytes: artifact });
    const original = JSON.stringify((await run(bundle)).signer);
    for (let i = 0; i < CASES; i++) {
      const m = mutate(bundle, random);
      if (m) await expectTypedOrUnchanged(() => run(m.text), original, m.key);
    }
  });
});

describe('hostile trust roots', () => {
  test(`${CASES} seeded mutations of the production root parse or fail with a typed error`, async () => {
    const { EMBEDDED_TRUSTED_ROOT } = await import('../../core/sigstore/embedded-root.generated.js');
    const text = JSON.stringify(EMBEDDED_TRUSTED_ROOT);
    const random = rng(0x7e57);
    const g = GOLDENS[3]!;
    for (let i = 0; i < CASES; i++) {
      const m = mutate(text, random);
      if (!m) continue;
      try {
        const root = parseTrustRoot(JSON.parse(m.text), 'fuzz');
        // A mutated root may still verify the golden only if the mutation is irrelevant to it; never INTERNAL.
        await verifySignature(g.bundle, POLICY, { trustedRoot: root }).catch((e) => {
          expect(isModelVerifyError(e), `${m.key}: ${String(e)}`).toBe(true);
          expect((e as { code: string }).code, `${m.key}: ${(e as Error).message}`).not.toBe('INTERNAL');
        });
      } catch (e) {
        if ((e as { name?: string }).name === 'AssertionError') throw e;
        expect(isModelVerifyError(e), `${m.key}: ${String(e)}`).toBe(true);
        expect((e as { code: string }).code).toBe('TRUST_ROOT_INVALID');
      }
    }
  });
});
