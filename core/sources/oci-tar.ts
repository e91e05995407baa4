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

/**
 * Skips an entry by reading its body to the end. (modern-tar 0.8.6's body.cancel(), documented to drain, can stall
 * the decoder after a directory entry: tests/oci/registry-source.test.ts, the two-layer modelcar.)
 */
async function drain(body: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const r = 'getReader' in body ? body.getReader() : body;
  while (!(await r.read()).done);
  r.releaseLock();
}

/** How long a decoder waits for the next read of its layer before it is dropped. */
const IDLE_CURSOR_MS = 200;

interface Cursor {
  reader: ReadableStreamDefaultReader<import('modern-tar').ParsedTarEntry>;
  /** Ordinal of the entry the next read returns. */
  next: number;
}

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
        await drain(e.body); // listing needs headers only
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

  /** Per layer: the decoder left after the last entry served, while another read of the layer waits or briefly after. */
  private readonly idle = new Map<number, { cursor: Cursor; timer: ReturnType<typeof setTimeout> }>();
  /** Per layer: the tail of the queue of reads (one reader of a layer's stream at a time) and how many wait. */
  private readonly queue = new Map<number, { tail: Promise<void>; waiting: number }>();

  /** Waits for the layer's stream, then hands over a cursor at or before `ordinal` (a parked one, or a new stream). */
  private async acquire(layer: number, ordinal: number, signal?: AbortSignal): Promise<{ cursor: Cursor; release: (c: Cursor | null) => void }> {
    const q = this.queue.get(layer) ?? { tail: Promise.resolve(), waiting: 0 };
    this.queue.set(layer, q);
    const prev = q.tail;
    let done!: () => void;
    q.tail = new Promise<void>((r) => (done = r));
    q.waiting++;
    await prev;
    q.waiting--;
    let cursor: Cursor | undefined;
    const parked = this.idle.get(layer);
    if (parked) {
      clearTimeout(parked.timer);
      this.idle.delete(layer);
      if (parked.cursor.next <= ordinal) cursor = parked.cursor;
      else void parked.cursor.reader.cancel().catch(() => {});
    }
    cursor ??= { reader: TarView.layerEntries(this.source, layer, signal).getReader(), next: 0 };
    const release = (c: Cursor | null) => {
      // Kept for the next read of this layer (the usual case: files in tar order); dropped soon when nobody comes,
      // so no idle download outlives the verification.
      if (c) {
        const timer = setTimeout(() => {
          if (this.idle.get(layer)?.cursor === c) {
            this.idle.delete(layer);
            void c.reader.cancel().catch(() => {});
          }
        }, IDLE_CURSOR_MS);
        this.idle.set(layer, { cursor: c, timer });
      }
      done();
    };
    return { cursor, release };
  }

  /**
   * A file's bytes [start, end). Reads of one layer take turns on one decoder that moves forward, so files read in
   * tar order cost one pass over the layer; a file before the decoder's position starts the layer again.
   */
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const f = this.files.get(path);
    if (!f) fail('MODEL_NOT_FOUND', `${this.source.location} has no file '${clip(path)}' under its model directory`, { resource: path });
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? f.entry.size, f.entry.size);
    let held: { cursor: Cursor; release: (c: Cursor | null) => void } | undefined;
    let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let pos = 0;
    const src = this.source;
    const finish = async (ok: boolean) => {
      const h = held;
      held = undefined;
      if (!h) return;
      if (ok && body)
        await drain(body); // the rest of the entry (a range read), so the decoder can go on
      else if (!ok) void h.cursor.reader.cancel().catch(() => {});
      h.release(ok ? h.cursor : null);
    };
    // Opened on the first pull, not in start(): workerd may pull before an async start() has settled.
    const init = async () => {
      held = await this.acquire(f.layer, f.ordinal, signal);
      const c = held.cursor;
      for (;;) {
        const { done, value } = await c.reader.read();
        if (done) fail('MODEL_CHANGED', `Layer ${f.layer} of ${src.location} ended before '${clip(path)}'`, { resource: path });
        if (c.next++ === f.ordinal) {
          body = value.body.getReader();
          return;
        }
        await drain(value.body);
      }
    };
    let ready: Promise<void> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          await (ready ??= init());
          for (;;) {
            if (pos >= end) {
              await finish(true);
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
        } catch (e) {
          await finish(false);
          throw e;
        }
      },
      async cancel() {
        await ready?.catch(() => {});
        await finish(false);
      },
    });
  }
}
