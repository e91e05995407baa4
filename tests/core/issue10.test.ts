/**
 * Issue 10, "hostile input must never pass or stall": shard extents, symlinked directories, ambiguous
 * bundles and statements, and work bounded whatever the input's size or nesting.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compatPae, parseBundle, verifyModel, type ModelSource } from '../../core/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { describeValue, MAX_JSON_DEPTH, parseJson } from '../../core/util/json.js';
import { NodeSource } from '../../node/source.js';
import { PUB_KEY, SCRIPTS } from '../helpers/fixtures.js';
import { keyBundleFor, resignBundle, statementFor } from '../helpers/resign.js';

const policy = { method: 'key', publicKey: readFileSync(PUB_KEY, 'utf8') } as const;
const sha = (s: string | Buffer | Uint8Array) => createHash('sha256').update(s).digest('hex');
const GOLDEN = path.join(SCRIPTS, 'v1.1.0-elliptic-key');
const goldenSig = () => readFileSync(path.join(GOLDEN, 'model.sig'), 'utf8');

/** Records every call a verifier makes into the model. */
function spy(inner: ModelSource) {
  const calls: string[] = [];
  const s: ModelSource = {
    name: inner.name,
    listable: inner.listable,
    list: (o) => (calls.push('list'), inner.list(o)),
    stat: (p, sig) => (calls.push(`stat ${p}`), inner.stat(p, sig)),
    open: (p, r, sig) => (calls.push(`open ${p}`), inner.open(p, r, sig)),
  };
  return { source: s, calls };
}

const N = 8;
const SHARDS = { method: 'shards', hash_type: 'sha256', shard_size: N, allow_symlinks: false };

/** The signer's shards of `content` under `name` (oms-format §2.7). */
function shardsOf(name: string, content: string) {
  const out: { name: string; digest: string; algorithm: string }[] = [];
  for (let s = 0; s < content.length; s += N) {
    const e = Math.min(s + N, content.length);
    out.push({ name: `${name}:${s}:${e}`, digest: sha(content.slice(s, e)), algorithm: `sha256-sharded-${N}` });
  }
  return out;
}
const shardBundle = (resources: { name: string; digest: string; algorithm?: string }[]) => keyBundleFor(statementFor(resources, SHARDS));

describe('shards cover a signed file exactly', () => {
  const signed16 = 'aaaaaaaabbbbbbbb'; // exactly two shards
  const bundle16 = shardBundle([...shardsOf('f', signed16), ...shardsOf('g', 'gg')]);

  it('the signed model verifies, with and without ignoreUnsigned', async () => {
    for (const ignoreUnsigned of [false, true]) {
      const r = await verifyModel(new MemorySource('m', { f: signed16, g: 'gg' }), bundle16, policy, { ignoreUnsigned });
      expect(r.errors).toEqual([]);
      expect(r.verified).toBe(true);
    }
  });

  for (const extra of ['cccccccc', 'cc']) {
    it(`a file extended by ${extra.length} bytes fails as a mismatch of that file, even under ignoreUnsigned`, async () => {
      for (const ignoreUnsigned of [true, false]) {
        const r = await verifyModel(new MemorySource('m', { f: signed16 + extra, g: 'gg' }), bundle16, policy, { ignoreUnsigned });
        expect(r.verified).toBe(false);
        expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'f' });
        expect(r.errors[0]!.message).toContain('its signed shards cover 16 bytes, but the file has');
        const added = r.resources.find((x) => x.name === `f:16:${16 + extra.length}`);
        expect(added?.status).toBe('mismatch');
        expect(r.resources.filter((x) => x.status === 'unsigned')).toEqual([]);
        expect(r.errors.map((e) => e.code)).not.toContain('UNSIGNED_FILE');
      }
    });
  }

  it('a shrunk file fails as a mismatch of that file, not as a missing shard', async () => {
    const bundle24 = shardBundle(shardsOf('f', 'aaaaaaaabbbbbbbbcccccccc'));
    for (const [content, size] of [
      ['aaaaaaaabbbbbbbb', 16],
      ['aaaaaaaabbbbbbbbcc', 18],
      ['', 0],
    ] as const) {
      for (const ignoreUnsigned of [true, false]) {
        const r = await verifyModel(new MemorySource('m', { f: content }), bundle24, policy, { ignoreUnsigned });
        expect(r.verified).toBe(false);
        expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'f' });
        expect(r.errors[0]!.message).toBe(`Size mismatch for 'f': its signed shards cover 24 bytes, but the file has ${size} bytes`);
        expect(r.resources.find((x) => x.name === 'f:16:24')?.status).toBe('mismatch');
        expect(r.resources.filter((x) => x.status === 'missing' || x.status === 'unsigned')).toEqual([]);
      }
    }
  });

  it('a file that is gone is still reported missing, shard by shard', async () => {
    const r = await verifyModel(new MemorySource('m', { g: 'gg' }), bundle16, policy, { ignoreUnsigned: true });
    expect(r.errors.map((e) => [e.code, e.resource])).toEqual([
      ['MISSING_FILE', 'f:0:8'],
      ['MISSING_FILE', 'f:8:16'],
    ]);
  });

  it('a single-file model (signed as "." or by basename) is held to its extent too', async () => {
    for (const name of ['.', 'w.bin']) {
      const bundle = shardBundle(shardsOf(name, signed16));
      const ok = await verifyModel(new MemorySource('w.bin', { '.': signed16 }), bundle, policy, { ignoreUnsigned: true });
      expect(ok.errors).toEqual([]);
      const r = await verifyModel(new MemorySource('w.bin', { '.': signed16 + 'cccccccc' }), bundle, policy, { ignoreUnsigned: true });
      expect(r.verified).toBe(false);
      expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: '.' });
    }
  });

  const inconsistent: [string, { name: string; digest: string; algorithm?: string }[]][] = [
    ['a gap', [shardsOf('f', signed16 + 'cccccccc')[0]!, shardsOf('f', signed16 + 'cccccccc')[2]!]],
    ['no shard at 0', [shardsOf('f', signed16)[1]!]],
    ['an overlap', [...shardsOf('f', signed16), { name: 'f:4:12', digest: sha('aaaabbbb'), algorithm: 'sha256-sharded-8' }]],
    [
      'a short shard before the last',
      [
        { name: 'f:0:4', digest: sha('aaaa'), algorithm: 'sha256-sharded-8' },
        { name: 'f:4:12', digest: sha('aaaabbbb'), algorithm: 'sha256-sharded-8' },
      ],
    ],
    ['a shard longer than shard_size', [{ name: 'f:0:16', digest: sha(signed16), algorithm: 'sha256-sharded-8' }]],
  ];
  for (const [what, resources] of inconsistent) {
    it(`signed shards with ${what} → MANIFEST_INVALID before any model access`, async () => {
      for (const ignoreUnsigned of [false, true]) {
        const { source, calls } = spy(new MemorySource('m', { f: signed16 + 'cccccccc' }));
        const r = await verifyModel(source, shardBundle(resources), policy, { ignoreUnsigned });
        expect(r.verified).toBe(false);
        expect(r.errors[0]).toMatchObject({ code: 'MANIFEST_INVALID', resource: 'f' });
        expect(calls).toEqual([]);
      }
    });
  }

  it('an empty unsigned file in shard mode is reported unsigned (fails unless unsigned files are ignored)', async () => {
    const src = () => new MemorySource('m', { f: signed16, g: 'gg', 'sub/__init__.py': '' });
    const r = await verifyModel(src(), bundle16, policy);
    expect(r.verified).toBe(false);
    expect(r.errors).toEqual([{ code: 'UNSIGNED_FILE', resource: 'sub/__init__.py', message: "Extra files found in model 'm': sub/__init__.py" }]);
    expect(r.resources.find((x) => x.name === 'sub/__init__.py')).toMatchObject({ status: 'unsigned', bytes: 0 });
    const ok = await verifyModel(src(), bundle16, policy, { ignoreUnsigned: true });
    expect(ok.verified).toBe(true);
    expect(ok.resources.find((x) => x.name === 'sub/__init__.py')?.status).toBe('unsigned');
  });

  it('an empty file named like a signed shard cannot stand in for that shard', async () => {
    // A directory entry 'f:0:8' (a legal file name) must not be confused with shard 0 of 'f'.
    const r = await verifyModel(new MemorySource('m', { 'f:0:8': '', g: 'gg' }), bundle16, policy, { ignoreUnsigned: true });
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['MISSING_FILE', 'MISSING_FILE']);
  });
});

describe('symlinked directories are refused, never skipped', () => {
  function model(): string {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mv-dirlink-')), 'model');
    mkdirSync(path.join(dir, '.git/payload'), { recursive: true });
    writeFileSync(path.join(dir, '.git/payload/evil.py'), 'import os');
    writeFileSync(path.join(dir, 'weights'), 'w');
    symlinkSync('.git/payload', path.join(dir, 'plugins'));
    return dir;
  }
  const bundle = keyBundleFor(statementFor([{ name: 'weights', digest: sha('w') }]));

  it('plugins -> .git/payload with allowSymlinks → SYMLINK_REFUSED naming the link', async () => {
    const r = await verifyModel(await NodeSource.open(model()), bundle, policy, { allowSymlinks: true });
    expect(r.verified).toBe(false);
    expect(r.errors[0]).toMatchObject({ code: 'SYMLINK_REFUSED', resource: 'plugins' });
    expect(r.errors[0]!.message).toContain('symlink to a directory');
    expect(r.bytesHashed).toBe(0);
  });

  it('without allowSymlinks it is refused as any symlink is', async () => {
    const r = await verifyModel(await NodeSource.open(model()), bundle, policy);
    expect(r.errors[0]).toMatchObject({ code: 'SYMLINK_REFUSED', resource: 'plugins' });
  });

  it('an ignored symlinked directory is fine', async () => {
    const r = await verifyModel(await NodeSource.open(model()), bundle, policy, { allowSymlinks: true, ignorePaths: ['plugins'] });
    expect(r.errors).toEqual([]);
    expect(r.verified).toBe(true);
  });

  it('under ignoreUnsigned it is listed as unsigned, not silently skipped', async () => {
    const r = await verifyModel(await NodeSource.open(model()), bundle, policy, { allowSymlinks: true, ignoreUnsigned: true });
    expect(r.verified).toBe(true);
    expect(r.resources.find((x) => x.name === 'plugins')?.status).toBe('unsigned');
  });
});

describe('unambiguous bundles', () => {
  const model = () => NodeSource.open(GOLDEN);
  const verify = async (bundle: string) => verifyModel(await model(), bundle, policy, { ignorePaths: ['model.sig', 'ignore-me'] });

  it('the golden verifies (control)', async () => {
    expect((await verify(goldenSig())).errors).toEqual([]);
  });

  for (const order of ['valid first', 'valid last']) {
    it(`two signatures (${order}) → BUNDLE_AMBIGUOUS`, async () => {
      const b = JSON.parse(goldenSig());
      const garbage = { sig: Buffer.from('garbage').toString('base64'), keyid: '' };
      b.dsseEnvelope.signatures = order === 'valid first' ? [b.dsseEnvelope.signatures[0], garbage] : [garbage, b.dsseEnvelope.signatures[0]];
      const r = await verify(JSON.stringify(b));
      expect(r.verified).toBe(false);
      expect(r.errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
    });
  }

  it('two copies of the same valid signature → BUNDLE_AMBIGUOUS', async () => {
    const b = JSON.parse(goldenSig());
    b.dsseEnvelope.signatures = [b.dsseEnvelope.signatures[0], b.dsseEnvelope.signatures[0]];
    expect((await verify(JSON.stringify(b))).errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
  });

  const spellings: [string, (b: any) => void][] = [
    ['dsseEnvelope + dsse_envelope', (b) => (b.dsse_envelope = { ...b.dsseEnvelope, payloadType: 'text/plain' })],
    ['verificationMaterial + verification_material', (b) => (b.verification_material = b.verificationMaterial)],
    ['publicKey + public_key', (b) => (b.verificationMaterial.public_key = { hint: 'ff' })],
    ['tlogEntries + tlog_entries', (b) => (b.verificationMaterial.tlog_entries = [])],
    ['payloadType + payload_type', (b) => (b.dsseEnvelope.payload_type = 'application/vnd.in-toto+json')],
    ['mediaType + media_type', (b) => (b.media_type = b.mediaType)],
  ];
  for (const [what, edit] of spellings) {
    it(`both spellings: ${what} → BUNDLE_AMBIGUOUS`, async () => {
      const b = JSON.parse(goldenSig());
      edit(b);
      const r = await verify(JSON.stringify(b));
      expect(r.verified).toBe(false);
      expect(r.errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
    });
  }

  it('duplicate keys in the bundle (plain and escaped) → BUNDLE_AMBIGUOUS', async () => {
    const text = goldenSig().trim();
    const other = JSON.stringify(JSON.parse(text).dsseEnvelope);
    for (const key of ['dsseEnvelope', 'dsse\\u0045nvelope', 'mediaType']) {
      const value = key === 'mediaType' ? '"application/vnd.dev.sigstore.bundle.v0.3+json"' : other;
      const dup = text.replace(/^\{/, `{"${key}": ${value}, `);
      expect(() => JSON.parse(dup)).not.toThrow();
      expect(() => parseBundle(dup)).toThrow(expect.objectContaining({ code: 'BUNDLE_AMBIGUOUS' }));
      expect((await verify(dup)).errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
    }
  });

  it('duplicate keys in the statement (a second resources list) → BUNDLE_AMBIGUOUS', async () => {
    const golden = JSON.parse(Buffer.from(JSON.parse(goldenSig()).dsseEnvelope.payload, 'base64').toString('utf8'));
    const text = JSON.stringify(golden);
    // JSON.parse keeps the last `resources`: an empty decoy first would be invisible to it, and a reader that
    // keeps the first would see different files.
    const dup = text.replace('"resources":', '"resources":[],"resources":');
    expect(JSON.parse(dup).predicate.resources).toEqual(golden.predicate.resources);
    const r = await verify(resignBundle(goldenSig(), { payload: Buffer.from(dup) }));
    expect(r.verified).toBe(false);
    expect(r.errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
  });

  it('both spellings in the statement (hash_type + hashType) → BUNDLE_AMBIGUOUS', async () => {
    const r = await verify(resignBundle(goldenSig(), { statement: (st) => ((st.predicate.serialization.hashType = 'blake2b'), st) }));
    expect(r.errors[0]?.code).toBe('BUNDLE_AMBIGUOUS');
  });

  it('the scanner reads keys exactly: escapes, strings with braces, same key in sibling objects', () => {
    const ok = ['{"a":{"a":1},"b":[{"a":1},{"a":2}]}', '{"a":"}\\"{","b":"\\\\"}', '{"k\\"":1,"k":2}', '[{"x":1},{"x":1}]', '"str"', '{}'];
    for (const t of ok) expect(parseJson(t, 'x', 'BUNDLE_MALFORMED', { spellings: true })).toEqual(JSON.parse(t));
    const bad = ['{"a":"}","a":1}', '{"x":"\\\\","x":1}', '{"k\\"":1,"k\\"":2}', '{"a":[{"b":1,"b":2}]}', '{"\\u0061":1,"a":2}'];
    for (const t of bad) expect(() => parseJson(t, 'x')).toThrow(expect.objectContaining({ code: 'BUNDLE_AMBIGUOUS' }));
    // Malformed JSON keeps its own error even when it also looks ambiguous.
    expect(() => parseJson('{"a":1,"a":', 'x')).toThrow(expect.objectContaining({ code: 'BUNDLE_MALFORMED' }));
  });
});

describe('bounded work', () => {
  it(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused before parsing`, () => {
    const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
    expect(parseJson(deep(MAX_JSON_DEPTH), 'x')).toBeDefined();
    expect(() => parseJson(deep(MAX_JSON_DEPTH + 1), 'x')).toThrow(expect.objectContaining({ code: 'BUNDLE_MALFORMED' }));
    expect(() => parseBundle(`{"mediaType":${deep(100_000)}}`)).toThrow(expect.objectContaining({ code: 'BUNDLE_MALFORMED' }));
  });

  it('a statement whose _type / predicateType is nested 1e5 levels deep → a typed error', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const st = JSON.stringify(statementFor([{ name: 'a', digest: sha('x') }]));
    for (const field of ['_type', 'predicateType']) {
      const text = st.replace(new RegExp(`"${field}":"[^"]*"`), `"${field}":${deep}`);
      const r = await verifyModel(new MemorySource('m', { a: 'x' }), resignBundle(goldenSig(), { payload: Buffer.from(text) }), policy);
      expect(r.verified).toBe(false);
      expect(r.errors[0]?.code).toBe('STATEMENT_TYPE');
      expect(r.errors[0]!.message).toContain('nested more than');
    }
  });

  it('values that reach error messages are bounded: deep, wide and long', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(describeValue(deep)).toBe('[[[[…]]]]');
    const wide = { a: Array.from({ length: 1_000_000 }, (_, i) => i), b: 'y'.repeat(1_000_000) };
    expect(describeValue(wide).length).toBeLessThanOrEqual(201);
    // Under the depth cap, a nested predicateType is described, not serialised.
    const nested = resignBundle(goldenSig(), { statement: (st) => ((st.predicateType = JSON.parse('['.repeat(60) + '"p"' + ']'.repeat(60))), st) });
    const r = await verifyModel(new MemorySource('m', { a: 'x' }), nested, policy);
    expect(r.errors[0]?.code).toBe('PREDICATE_TYPE');
    expect(r.errors[0]!.message.length).toBeLessThan(300);
    // A megabyte media type is clipped in the message.
    const b = JSON.parse(goldenSig());
    b.mediaType = 'm'.repeat(1_000_000);
    const long = await verifyModel(new MemorySource('m', { a: 'x' }), JSON.stringify(b), policy);
    expect(long.errors[0]?.code).toBe('BUNDLE_MEDIA_TYPE');
    expect(long.errors[0]!.message.length).toBeLessThan(300);
  });

  it('a 150k-resource manifest is compared in bounded time: typed errors, no INTERNAL', async () => {
    const n = 150_000;
    const resources = Array.from({ length: n }, (_, i) => ({ name: `w/${String(i).padStart(6, '0')}`, digest: sha(String(i)) }));
    const bundle = keyBundleFor(statementFor(resources));
    const t0 = Date.now();
    // None of the files exist: every resource becomes an error (this used to overflow push(...errors)).
    const r = await verifyModel(new MemorySource('m', { other: 'x' }), bundle, policy);
    expect(r.verified).toBe(false);
    expect(r.errors.map((e) => e.code).filter((c) => c !== 'MISSING_FILE')).toEqual(['UNSIGNED_FILE']);
    expect(r.errors).toHaveLength(n + 1);
    expect(r.resources).toHaveLength(n + 1);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it('the compat PAE is byte-identical to Python repr (rewritten into one buffer)', () => {
    const ref = (b: Uint8Array) => {
      const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
      let s = 'b' + quote;
      for (const c of b) {
        if (c === 0x5c) s += '\\\\';
        else if (c === quote.charCodeAt(0)) s += '\\' + quote;
        else if (c === 0x09) s += '\\t';
        else if (c === 0x0a) s += '\\n';
        else if (c === 0x0d) s += '\\r';
        else if (c < 0x20 || c >= 0x7f) s += '\\x' + c.toString(16).padStart(2, '0');
        else s += String.fromCharCode(c);
      }
      return s + quote;
    };
    const samples = [new Uint8Array(0), Buffer.from(`it's "q"`), Buffer.from("it's"), Buffer.from('a\\b\t\n\r\x00\x7f\xff{"x":1}')];
    for (let i = 0; i < 50; i++) samples.push(Uint8Array.from({ length: 64 }, (_, j) => (i * 97 + j * 31) & 0xff));
    for (const p of samples) {
      const want = Buffer.concat([Buffer.from(`DSSEV1 28 application/vnd.in-toto+json ${p.length} `), Buffer.from(ref(p), 'latin1')]);
      expect(Buffer.from(compatPae('application/vnd.in-toto+json', p)).equals(want)).toBe(true);
    }
  });
});
