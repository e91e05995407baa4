/** A ModelSource over bytes in memory: tests, small models fetched whole, and previews. */
import type { ListOptions, ModelEntry, ModelSource } from '../serialize/source.js';

export class MemorySource implements ModelSource {
  readonly listable = true;
  private readonly files: Map<string, Uint8Array>;

  /** `files` maps model-relative POSIX paths to contents; a single entry named "." is a single-file model. */
  constructor(
    readonly name: string,
    files: Map<string, Uint8Array> | Record<string, Uint8Array | string>,
    private readonly chunkSize = 64 * 1024,
  ) {
    const enc = new TextEncoder();
    this.files = new Map(files instanceof Map ? files : Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v] as const));
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ModelEntry> {
    for (const [path, data] of [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      opts.signal?.throwIfAborted();
      const parts = path.split('/');
      let pruned = false;
      for (let i = 1; i < parts.length && !pruned; i++) pruned = !!opts.prune?.(parts.slice(0, i).join('/'));
      if (!pruned) yield { path, kind: 'file', size: data.byteLength };
    }
  }

  async stat(path: string): Promise<ModelEntry | null> {
    const d = this.files.get(path);
    return d ? { path, kind: 'file', size: d.byteLength } : null;
  }

  open(path: string, range?: { start: number; end: number }): ReadableStream<Uint8Array> {
    const data = this.files.get(path);
    const chunk = this.chunkSize;
    let pos = range?.start ?? 0;
    const end = Math.min(range?.end ?? data?.byteLength ?? 0, data?.byteLength ?? 0);
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (!data) return c.error(new Error(`No such file: ${path}`));
        if (pos >= end) return c.close();
        const next = Math.min(pos + chunk, end);
        c.enqueue(data.slice(pos, next));
        pos = next;
      },
    });
  }
}
