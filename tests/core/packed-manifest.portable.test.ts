/**
 * Statement reading packs the resources (ids, shard ranges, one buffer of raw digests) and verification compares the
 * packed form. Against plain oracles: the resources list equals a straightforward reading of the statement (hex in
 * either case, lowercased; names normalized; shard names split), the root digest is checked, and compareManifests
 * gives exactly the same comparison for the packed form as for the plain list of the same resources.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statementToManifest } from '../../core/bundle/statement.js';
import { compareManifests, type ActualResource } from '../../core/manifest/compare.js';
import { normalizeResourcePath } from '../../core/manifest/names.js';
import type { Resource } from '../../core/manifest/types.js';
import { fromHex, sha256, toHex } from '../../core/util/bytes.js';

const NAMES = ['a', 'b/c', './d', 'e//f', 'g/', 'dir/h.bin', 'é'];
const entry = fc.record({
  name: fc.integer({ min: 0, max: NAMES.length - 1 }),
  digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  upper: fc.boolean(),
  start: fc.integer({ min: 0, max: 3 }),
});
type Entry = { name: number; digest: Uint8Array; upper: boolean; start: number };

async function statement(entries: Entry[], shards: boolean): Promise<Uint8Array> {
  const resources = entries.map((e) => {
    const hex = toHex(e.digest);
    const name = shards ? `${NAMES[e.name]}:${e.start * 10}:${e.start * 10 + 10}` : NAMES[e.name]!;
    return { name, algorithm: shards ? 'sha256-sharded-10' : 'sha256', digest: e.upper ? hex.toUpperCase() : hex };
  });
  const root = toHex(await sha256(Uint8Array.from(entries.flatMap((e) => [...e.digest]))));
  return new TextEncoder().encode(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'm', digest: { sha256: root } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {
        serialization: { method: shards ? 'shards' : 'files', hash_type: 'sha256', allow_symlinks: false, ...(shards ? { shard_size: 10 } : {}) },
        resources,
      },
    }),
  );
}

/** The plain reading: each resource as written, digest lowercased, name normalized (shards split at the colons). */
function oracle(entries: Entry[], shards: boolean): Resource[] {
  return entries.map((e) => {
    const path = normalizeResourcePath(NAMES[e.name]!);
    const digest = toHex(e.digest);
    if (!shards) return { id: path, path, algorithm: 'sha256', digest };
    const start = e.start * 10;
    return { id: `${path}:${start}:${start + 10}`, path, start, end: start + 10, algorithm: 'sha256-sharded-10', digest };
  });
}

async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await f() };
  } catch (e) {
    return { code: (e as { code: string }).code };
  }
}

describe('packed manifests', () => {
  it('read the resources a plain reading of the statement gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.boolean(), async (entries, shards) => {
        const got = await outcome(async () => (await statementToManifest(await statement(entries, shards))).resources);
        const want = oracle(entries, shards);
        const ids = want.map((r) => r.id);
        if (new Set(ids).size !== ids.length) {
          expect(got).toEqual({ code: 'MANIFEST_INVALID' }); // a repeated resource
          return;
        }
        if ('code' in got) {
          // Only a shard layout that does not tile its file may be refused.
          expect(shards && got.code === 'MANIFEST_INVALID').toBe(true);
          return;
        }
        expect(got.ok).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('refuse a digest that is not hex of the right width, and a root that does not match', async () => {
    const good = await statement([{ name: 0, digest: new Uint8Array(32).fill(0xab), upper: false, start: 0 }], false);
    const text = new TextDecoder().decode(good);
    const hex = 'ab'.repeat(32);
    for (const bad of [`${hex.slice(0, 62)}zz`, hex.slice(0, 62), `${hex}00`, `${hex.slice(0, 62)} a`]) {
      await expect(statementToManifest(new TextEncoder().encode(text.replace(`"digest":"${hex}"`, `"digest":"${bad}"`)))).rejects.toMatchObject({
        code: 'MANIFEST_INVALID',
      });
    }
    const other = text.replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`);
    await expect(statementToManifest(new TextEncoder().encode(other))).rejects.toMatchObject({ code: 'ROOT_DIGEST_MISMATCH' });
  });

  it('compare exactly as the plain list of the same resources', async () => {
    const actualEntry = fc.record({ pick: fc.integer({ min: 0, max: 9 }), same: fc.boolean(), digest: fc.uint8Array({ minLength: 32, maxLength: 32 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(entry, { minLength: 1, maxLength: 6, selector: (e) => e.name }),
        fc.array(actualEntry, { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (entries, actualEntries, ignoreUnsigned, hexActual) => {
          const manifest = await statementToManifest(await statement(entries, false));
          const plain = oracle(entries, false);
          expect(manifest.packed).toBeDefined();
          // The model: some signed files with the signed or another digest, some unsigned ones.
          const actual = new Map<string, ActualResource>();
          for (const a of actualEntries) {
            const signed = plain[a.pick];
            const id = signed ? signed.id : `extra-${a.pick}`;
            const raw = a.same && signed ? fromHex(signed.digest)! : a.digest;
            actual.set(id, { path: id, algorithm: 'sha256', digest: hexActual ? toHex(raw) : raw, bytes: a.pick });
          }
          const opts = { unhashed: ['zz-unhashed'], algorithm: 'sha256' };
          expect(compareManifests('m', manifest.packed!, actual, ignoreUnsigned, opts)).toEqual(compareManifests('m', plain, actual, ignoreUnsigned, opts));
        },
      ),
      { numRuns: 200 },
    );
  });
});
