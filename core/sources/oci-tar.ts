/**
 * The `tar` view of an OCI image (modelcars): the files inside its tar layers under one directory (default
 * `models/`), as the container would see them (later layers replace earlier entries; `.wh.` whiteouts delete,
 * `.wh..wh..opq` empties a directory). Tar parsing is modern-tar's (web-standard streams); gzip layers go
 * through DecompressionStream. Nothing is unpacked or buffered: list() streams every layer once (each checked
 * against its digest), open() streams the layer again up to the entry and passes its bytes on.
 *
 * Cost: open() re-reads the layer up to the entry, so hashing N files of one gzip layer reads it up to N times
 * (a tar has no index and gzip no random access). Modelcars hold few, large files, where this is close to one pass.
 */
import { createTarDecoder } from 'modern-tar';
import { fail } from '../errors.js';
import type { Descriptor } from '../oci/image-manifest.js';
import type { ModelEntry } from '../serialize/source.js';
import { clip } from '../util/json.js';
import type { OciSource } from './oci-source.js';

/** Entries across all layers (files, dirs, links): a bound on the listing loop and its memory. */
export const MAX_TAR_ENTRIES = 500_000;

interface TarFile {
  layer: number;
  /** Index of the entry in its layer's tar stream. */
  ordinal: number;
  entry: ModelEntry;
}

function decompressor(d: Descriptor, index: number): TransformStream<Uint8Array, Uint8Array> | null {
  const t = d.mediaType;
  if (/\+gzip$|\.tar\.gzip$/.test(t)) return new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
  if (/(\.tar|\+tar)$|\.tar$|layer\.v1\.tar$/.test(t) || t === 'application/vnd.docker.image.rootfs.diff.tar') return null;
  if (/zstd/.test(t)) fail('UNSUPPORTED', `Layer ${index} is zstd-compressed (${clip(t)}): only tar and tar+gzip layers can be read`);
  fail('UNSUPPORTED', `Layer ${index} (${clip(t)}) is not a tar layer: this image's files are its layers (use the layer view)`);
}

/** `./models/a` → `models/a`; null for the archive root. `..` and absolute-after-strip are refused. */
function entryPath(name: string, index: number): string | null {
  const p = name.replace(/^(?:\.?\/)+/, '').replace(/\/+$/, '');
  if (p === '' || p === '.') return null;
  if (p.length > 4096 || p.split('/').some((s) => s === '..' || s === '' || s === '.') || /[\u0000]/.test(p)) {
    fail('PATH_UNSAFE', `Layer ${index} has an unsafe entry name '${clip(name)}'`, { resource: name });
  }
  return p;
}

export class TarView {
  private constructor(
    private readonly source: OciSource,
    private readonly files: Map<string, TarFile>,
    readonly entries: ModelEntry[],
  ) {}

  private static layerEntries(source: OciSource, index: number, signal?: AbortSignal): ReadableStream<import('modern-tar').ParsedTarEntry> {
    const d = source.manifest.layers[index]!;
    let bytes = source.layerBlob(d, `layer ${index}`, undefined, signal);
    const z = decompressor(d, index);
    if (z) bytes = bytes.pipeThrough(z);
    return bytes.pipeThrough(createTarDecoder({ strict: true }));
  }

  static async read(source: OciSource, root: string, signal?: AbortSignal): Promise<TarView> {
    const all = new Map<string, TarFile>();
    let count = 0;
    // Whiteouts scan the entries so far: a bound on that work too (a hostile image could pair many with many).
    let scans = 0;
    const scan = () => {
      scans += all.size;
      if (scans > 50_000_000) fail('MODEL_TOO_LARGE', 'The image has too many whiteouts over too many entries to read');
    };
    for (let layer = 0; layer < source.manifest.layers.length; layer++) {
      decompressor(source.manifest.layers[layer]!, layer); // refuse a non-tar layer before fetching anything
      let ordinal = -1;
      for await (const e of TarView.layerEntries(source, layer, signal) as unknown as AsyncIterable<import('modern-tar').ParsedTarEntry>) {
        ordinal++;
        if (++count > MAX_TAR_ENTRIES) fail('MODEL_TOO_LARGE', `The image has more than ${MAX_TAR_ENTRIES} tar entries`);
        await e.body.cancel(); // listing needs headers only; cancel drains the entry (modern-tar)
        const p = entryPath(e.header.name, layer);
        if (p === null) continue;
        const base = p.slice(p.lastIndexOf('/') + 1);
        const dir = p.slice(0, Math.max(0, p.lastIndexOf('/')));
        if (base === '.wh..wh..opq') {
          scan();
          for (const k of [...all.keys()]) if (k.startsWith(`${dir}/`) && all.get(k)!.layer < layer) all.delete(k);
          continue;
        }
        if (base.startsWith('.wh.')) {
          const gone = (dir ? `${dir}/` : '') + base.slice(4);
          scan();
          all.delete(gone);
          for (const k of [...all.keys()]) if (k.startsWith(`${gone}/`)) all.delete(k);
          continue;
        }
        const type = e.header.type ?? 'file';
        if (type === 'directory') continue;
        const entry: ModelEntry =
          type === 'file'
            ? { path: p, kind: 'file', size: e.header.size }
            : type === 'symlink' || type === 'link'
              ? // Links inside an image are not followed (their targets are image paths, not model paths).
                { path: p, kind: 'symlink', size: 0, link: 'outside' }
              : { path: p, kind: 'other', size: 0 };
        all.set(p, { layer, ordinal, entry });
      }
    }
    const prefix = root ? `${root}/` : '';
    const files = new Map<string, TarFile>();
    for (const [p, f] of all) if (p.startsWith(prefix)) files.set(p.slice(prefix.length), { ...f, entry: { ...f.entry, path: p.slice(prefix.length) } });
    if (files.size === 0) fail('MODEL_NOT_FOUND', `${source.location} has no files under /${root} (the modelcar convention; another directory can be chosen)`);
    const entries = [...files.values()].map((f) => f.entry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return new TarView(source, files, entries);
  }

  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const f = this.files.get(path);
    if (!f) fail('MODEL_NOT_FOUND', `${this.source.location} has no file '${clip(path)}' under its model directory`, { resource: path });
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? f.entry.size, f.entry.size);
    let entries: ReadableStreamDefaultReader<import('modern-tar').ParsedTarEntry> | undefined;
    let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let pos = 0;
    const src = this.source;
    // Opened on the first pull, not in start(): workerd may pull before an async start() has settled.
    const init = async () => {
      entries = TarView.layerEntries(src, f.layer, signal).getReader();
      for (let i = 0; ; i++) {
        const { done, value } = await entries.read();
        if (done) fail('MODEL_CHANGED', `Layer ${f.layer} of ${src.location} ended before '${clip(path)}'`, { resource: path });
        if (i === f.ordinal) {
          body = value.body.getReader();
          return;
        }
        await value.body.cancel();
      }
    };
    let ready: Promise<void> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        await (ready ??= init());
        for (;;) {
          if (pos >= end) {
            await body!.cancel().catch(() => {});
            await entries!.cancel().catch(() => {});
            c.close();
            return;
          }
          const { done, value } = await body!.read();
          if (done) fail('MODEL_CHANGED', `'${clip(path)}' in layer ${f.layer} is shorter than listed`, { resource: path });
          const from = Math.max(0, start - pos);
          const to = Math.min(value.byteLength, end - pos);
          pos += value.byteLength;
          if (to > from) {
            c.enqueue(value.subarray(from, to));
            return;
          }
        }
      },
      async cancel(reason) {
        await body?.cancel(reason).catch(() => {});
        await entries?.cancel(reason).catch(() => {});
      },
    });
  }
}
