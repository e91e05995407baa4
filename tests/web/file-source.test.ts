/**
 * BrowserFileSource and prepareFiles with real File objects (Node's File is the web one): path stripping,
 * single-file models, the signature inside the folder, ranged reads, and the goldens through verifyModel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel } from '../../core/verify/verify-model.js';
import {
  droppedFiles,
  BrowserFileSource,
  MAX_PICKED_FILES,
  pickedFromEntries,
  pickedFromHandle,
  pickedFromInput,
  type PickedFile,
} from '../../browser/file-source.js';
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

describe('BrowserFileSource', () => {
  it('strips the picked folder name and lists model-relative paths in order', async () => {
    const src = BrowserFileSource.fromPicked([
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
    const src = BrowserFileSource.fromPicked(pickedFromInput([new File(['abc'], 'weights.bin')]));
    expect(src.name).toBe('weights.bin');
    expect(src.paths).toEqual(['.']);
    expect(await text(src.open('.'))).toBe('abc');
  });

  it('refuses unusable paths from drops', () => {
    for (const bad of ['m/../x', 'm//x', 'm/./x'])
      expect(() =>
        BrowserFileSource.fromPicked([
          { path: bad, file: new Blob([]) },
          { path: 'm/ok', file: new Blob([]) },
        ]),
      ).toThrow(expect.objectContaining({ code: 'PATH_UNSAFE' }));
  });

  it('streams byte ranges of big files', async () => {
    const big = new Uint8Array((9 << 20) + 5).map((_, i) => (i * 13) & 0xff);
    const src = BrowserFileSource.fromPicked([
      { path: 'm/big.bin', file: new Blob([big]) },
      { path: 'm/x', file: new Blob([]) },
    ]);
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
    await expect(
      prepareFiles(
        [
          { path: 'm/a', file: new Blob(['a']) },
          { path: 'm/b', file: new Blob(['b']) },
        ],
        undefined,
      ),
    ).rejects.toMatchObject({ code: 'INPUT_MISSING' });
  });
});

/**
 * Fake File and Directory Entries API objects (what a drop gives) and File System Access handles, built from a
 * plain tree, with hooks for the failures browsers report: readEntries errors, unreadable files, odd entries.
 */
type Tree = { [name: string]: Tree | Blob | 'weird' | 'unreadable' | 'list-fails' };
const BATCH = 100; // Chromium's readEntries batch size

function entryOf(name: string, fullPath: string, node: Tree[string]): FileSystemEntry {
  if (node === 'weird') return { name, fullPath, isFile: false, isDirectory: false } as unknown as FileSystemEntry;
  if (node instanceof Blob || node === 'unreadable') {
    return {
      name,
      fullPath,
      isFile: true,
      isDirectory: false,
      file: (ok: (f: File) => void, bad: (e: unknown) => void) =>
        node === 'unreadable' ? bad(new DOMException('A requested file could not be read', 'NotReadableError')) : ok(new File([node], name)),
    } as unknown as FileSystemEntry;
  }
  return {
    name,
    fullPath,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      const names = node === 'list-fails' ? [] : Object.keys(node);
      let i = 0;
      return {
        readEntries: (ok: (b: FileSystemEntry[]) => void, bad: (e: unknown) => void) => {
          if (node === 'list-fails') return bad(new DOMException('The folder could not be read', 'NotReadableError'));
          const batch = names.slice(i, i + BATCH).map((n) => entryOf(n, `${fullPath}/${n}`, (node as Tree)[n]!));
          i += BATCH;
          queueMicrotask(() => ok(batch));
        },
      };
    },
  } as unknown as FileSystemEntry;
}

function handleOf(name: string, node: Tree): Parameters<typeof pickedFromHandle>[0] {
  return {
    name,
    kind: 'directory',
    async *values() {
      for (const [n, child] of Object.entries(node)) {
        if (child === 'list-fails') {
          yield {
            name: n,
            kind: 'directory' as const,
            async *values() {
              throw new DOMException('The folder could not be read', 'NotReadableError');
            },
          } as never;
        } else if (child === 'weird') yield { name: n, kind: 'symlink' } as never;
        else if (child === 'unreadable') yield { name: n, kind: 'file', getFile: async () => Promise.reject(new DOMException('gone', 'NotFoundError')) };
        else if (child instanceof Blob) yield { name: n, kind: 'file', getFile: async () => new File([child], n) };
        else yield handleOf(n, child) as never;
      }
    },
  };
}

function wide(n: number): Tree {
  const t: Tree = {};
  const b = new Blob(['x']);
  for (let i = 0; i < n; i++) t[`f${String(i).padStart(6, '0')}.bin`] = b;
  return t;
}

describe('browser folder readers: big folders, no silent skips', () => {
  it('reads a dropped folder of 125,000 files (and one with a 125,000-file subfolder) without crashing', async () => {
    const big = wide(125_000);
    const { folders, loose } = await pickedFromEntries([entryOf('m', '/m', { 'config.json': new Blob(['{}']), shards: big })]);
    expect(loose).toEqual([]);
    expect(folders).toHaveLength(1);
    expect(folders[0]).toHaveLength(125_001);
    const src = BrowserFileSource.fromPicked(folders[0]!);
    expect(src.name).toBe('m');
    let n = 0;
    for await (const e of src.list()) if (e.kind === 'file') n++;
    expect(n).toBe(125_001);
    expect(src.paths[0]).toBe('config.json');
    expect(src.paths[1]).toBe('shards/f000000.bin');
  }, 120_000);

  it('reads a picked directory handle with a 250,000-file subfolder and a deep tree without crashing', async () => {
    // 250k, not 125k: Node's stack still fits a 125k-argument spread at the top level; a browser's (and Node's
    // a few frames down) does not. The old reader spread each subfolder's files into push() and crashed.
    const deep: Tree = {};
    let cur = deep;
    for (let i = 0; i < 5_000; i++) cur = (cur[`d${i}`] = {}) as Tree;
    cur['leaf.bin'] = new Blob(['leaf']);
    const picked = await pickedFromHandle(handleOf('m', { big: wide(250_000), deep }));
    expect(picked).toHaveLength(250_001);
    expect(picked.some((p) => p.path.endsWith('/d4999/leaf.bin'))).toBe(true);
  }, 120_000);

  it('names a folder whose entries cannot be read, a file that cannot be read and an entry of another kind', async () => {
    await expect(pickedFromEntries([entryOf('m', '/m', { a: new Blob(['a']), sub: 'list-fails' })])).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'm/sub',
      message: expect.stringMatching(/NotReadableError/),
    });
    await expect(pickedFromEntries([entryOf('m', '/m', { a: new Blob(['a']), 'b.bin': 'unreadable' })])).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'm/b.bin',
    });
    await expect(pickedFromEntries([entryOf('m', '/m', { odd: 'weird' })])).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'm/odd' });
    await expect(pickedFromHandle(handleOf('m', { a: new Blob(['a']), 'b.bin': 'unreadable' }))).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'm/b.bin',
      message: expect.stringMatching(/NotFoundError/),
    });
    await expect(pickedFromHandle(handleOf('m', { x: { sub: 'list-fails' } }))).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'm/x/sub' });
    await expect(pickedFromHandle(handleOf('m', { link: 'weird' }))).rejects.toMatchObject({ code: 'IO_ERROR', resource: 'm/link' });
  });

  it('refuses more files than the cap with MODEL_TOO_LARGE, including a reader that never ends', async () => {
    await expect(pickedFromEntries([entryOf('m', '/m', wide(1001))], { maxFiles: 1000 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    await expect(pickedFromHandle(handleOf('m', wide(1001)), 'm', { maxFiles: 1000 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(await pickedFromEntries([entryOf('m', '/m', wide(1000))], { maxFiles: 1000 })).toMatchObject({ folders: [expect.any(Array)] });
    // A directory reader that repeats its batch forever (a browser bug, or a hostile shim) stops at the cap.
    const endless = {
      name: 'loop',
      fullPath: '/loop',
      isFile: false,
      isDirectory: true,
      createReader: () => ({ readEntries: (ok: (b: FileSystemEntry[]) => void) => queueMicrotask(() => ok([entryOf('x', '/loop/x', new Blob(['x']))])) }),
    } as unknown as FileSystemEntry;
    await expect(pickedFromEntries([endless], { maxFiles: 10_000 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(MAX_PICKED_FILES).toBe(1_000_000);
  }, 60_000);

  it('keeps every dropped item: items without an entry are read as files, and one with neither is an error', async () => {
    const f = new File(['sig'], 'model.sig');
    const dt = (items: unknown[]) => ({ items, files: [] }) as unknown as DataTransfer;
    const folder = { kind: 'file', webkitGetAsEntry: () => entryOf('m', '/m', { a: new Blob(['a']) }), getAsFile: () => null };
    const noEntry = { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => f };
    const text = { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null };
    // Before: one item with an entry made every entry-less item vanish from the drop.
    const got = await droppedFiles(dt([folder, noEntry, text]));
    expect(got.folders.map((x) => x.map((p) => p.path))).toEqual([['m/a']]);
    expect(got.loose.map((p) => p.path)).toEqual(['model.sig']);
    await expect(droppedFiles(dt([folder, { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => null }]))).rejects.toMatchObject({
      code: 'IO_ERROR',
      resource: 'dropped item 2',
    });
    // A plain file list (no items API) still works.
    expect((await droppedFiles({ items: [], files: [f] } as unknown as DataTransfer)).loose.map((p) => p.path)).toEqual(['model.sig']);
  });
});
