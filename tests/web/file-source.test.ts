/**
 * FileModelSource and prepareFiles with real File objects (Node's File is the web one): path stripping,
 * single-file models, the signature inside the folder, ranged reads, and the goldens through verifyModel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel } from '../../core/verify/verify-model.js';
import { FileModelSource, pickedFromInput, type PickedFile } from '../../web/file-source.js';
import { prepareFiles } from '../../web/model-input.js';

const FIX = join(import.meta.dirname, '../fixtures/model-transparency/scripts/tests');
const PUB = readFileSync(join(FIX, 'keys/certificate/signing-key-pub.pem'), 'utf8');
const CA = readFileSync(join(FIX, 'keys/certificate/ca-cert.pem'), 'utf8');

/** What `<input webkitdirectory>` yields for a folder: Files whose webkitRelativePath starts with the folder name. */
function folderPick(name: string): PickedFile[] {
  return readdirSync(join(FIX, name)).map((f) => ({ path: `${name}/${f}`, file: new File([readFileSync(join(FIX, name, f))], f) }));
}

async function text(s: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(new Uint8Array(await new Response(s).arrayBuffer()));
}

describe('FileModelSource', () => {
  it('strips the picked folder name and lists model-relative paths in order', async () => {
    const src = FileModelSource.fromPicked([
      { path: 'my-model/b/x.bin', file: new Blob(['xx']) },
      { path: 'my-model/a.txt', file: new Blob(['hello world']) },
    ]);
    expect(src.name).toBe('my-model');
    const entries = [];
    for await (const e of src.list()) entries.push(e);
    expect(entries).toEqual([
      { path: 'a.txt', kind: 'file', size: 11 },
      { path: 'b/x.bin', kind: 'file', size: 2 },
    ]);
    const pruned = [];
    for await (const e of src.list({ prune: (d) => d === 'b' })) pruned.push(e.path);
    expect(pruned).toEqual(['a.txt']);
    expect(await text(src.open('a.txt', { start: 6, end: 11 }))).toBe('world');
    expect(await src.stat('nope')).toBeNull();
  });

  it('makes one loose file a single-file model named "."', async () => {
    const src = FileModelSource.fromPicked(pickedFromInput([new File(['abc'], 'weights.bin')]));
    expect(src.name).toBe('weights.bin');
    expect(src.paths).toEqual(['.']);
    expect(await text(src.open('.'))).toBe('abc');
  });

  it('refuses unusable paths from drops', () => {
    for (const bad of ['m/../x', 'm//x', 'm/./x'])
      expect(() => FileModelSource.fromPicked([{ path: bad, file: new Blob([]) }, { path: 'm/ok', file: new Blob([]) }])).toThrow(
        expect.objectContaining({ code: 'PATH_UNSAFE' }),
      );
  });

  it('streams byte ranges of big files', async () => {
    const big = new Uint8Array((9 << 20) + 5).map((_, i) => (i * 13) & 0xff);
    const src = FileModelSource.fromPicked([{ path: 'm/big.bin', file: new Blob([big]) }, { path: 'm/x', file: new Blob([]) }]);
    const got = new Uint8Array(await new Response(src.open('big.bin', { start: 1, end: (9 << 20) + 3 })).arrayBuffer());
    expect(got.byteLength).toBe((9 << 20) + 2);
    expect(Buffer.from(got).equals(big.subarray(1, (9 << 20) + 3))).toBe(true);
  });
});

describe('prepareFiles + verifyModel over picked folders', () => {
  const cases = readdirSync(FIX).filter((d) => /^v\d/.test(d) && !d.endsWith('sigstore'));
  for (const name of cases) {
    it(`${name} verifies from a folder pick with model.sig inside`, async () => {
      const prep = await prepareFiles(folderPick(name), undefined, ['ignore-me']);
      expect(prep.signatureName).toMatch(/^model\.sig/);
      const policy = name.endsWith('certificate') ? { method: 'certificate' as const, anchors: [CA] } : { method: 'key' as const, publicKey: PUB };
      const r = await verifyModel(prep.source, prep.bundle, policy, { ignorePaths: ['ignore-me'] });
      expect(r.errors).toEqual([]);
      expect(r.verified).toBe(true);
    });
  }

  it('uses a separately picked signature and drops its identical copy from the model', async () => {
    const sig = new File([readFileSync(join(FIX, 'v1.0.1-elliptic-key/model.sig'))], 'model.sig');
    const prep = await prepareFiles(folderPick('v1.0.1-elliptic-key'), sig);
    expect(prep.source.paths).toEqual(['ignore-me', 'signme-1', 'signme-2']);
    const r = await verifyModel(prep.source, prep.bundle, { method: 'key', publicKey: PUB });
    // ignore-me is not signed and (before v1.1 signers recorded ignore paths) not ignored: it is reported.
    expect(r.verified).toBe(false);
    expect(r.errors[0]?.code).toBe('UNSIGNED_FILE');
  });

  it('recognises a folder holding one signed file as a single-file model', async () => {
    const prep = await prepareFiles(folderPick('v1.0.0-elliptic-key'), undefined);
    expect(prep.singleFile).toBe('signme-1');
    expect(prep.source.paths).toEqual(['.']);
  });

  it('says so when there is no signature at all', async () => {
    await expect(prepareFiles([{ path: 'm/a', file: new Blob(['a']) }, { path: 'm/b', file: new Blob(['b']) }], undefined)).rejects.toMatchObject({ code: 'INPUT_MISSING' });
  });
});
