/**
 * A ModelSource whose bytes are a function of their absolute offset, so ranges far beyond 4 GiB can be read
 * without a file that large. Chunks come in irregular sizes to cross every hasher's internal boundaries.
 */
import type { ModelEntry, ModelSource } from '../../core/serialize/source.js';

const TWO32 = 4294967296;

/** Byte at absolute offset `o`: mixes the low and high 32-bit halves, so offset o and o + 2^32 differ. */
export function fillAt(buf: Uint8Array, offset: number): Uint8Array {
  let lo = offset % TWO32;
  let hi = Math.floor(offset / TWO32);
  let h = (hi * 151) & 0xff;
  for (let i = 0; i < buf.length; i++) {
    buf[i] = (Math.imul(lo, 0x9e3779b1) >>> 24) ^ h ^ (lo & 0xff);
    if (++lo === TWO32) {
      lo = 0;
      h = (++hi * 151) & 0xff;
    }
  }
  return buf;
}

export class SyntheticSource implements ModelSource {
  readonly name = 'synthetic';
  readonly listable = true;
  opened = 0;
  constructor(
    private readonly sizes: Record<string, number>,
    private readonly chunkSizes: readonly number[] = [1, 7, 4096, 65536, 65537, 1 << 20, 3 << 20],
  ) {}
  async *list(): AsyncIterable<ModelEntry> {
    for (const [path, size] of Object.entries(this.sizes)) yield { path, kind: 'file', size };
  }
  async stat(path: string): Promise<ModelEntry | null> {
    const size = this.sizes[path];
    return size === undefined ? null : { path, kind: 'file', size };
  }
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array> {
    const start = range?.start ?? 0;
    const end = range?.end ?? this.sizes[path]!;
    let pos = start;
    let k = this.opened++;
    return new ReadableStream<Uint8Array>({
      pull: (ctl) => {
        if (signal?.aborted) return ctl.error(signal.reason);
        if (pos >= end) return ctl.close();
        const n = Math.min(end - pos, this.chunkSizes[k++ % this.chunkSizes.length]!);
        ctl.enqueue(fillAt(new Uint8Array(n), pos));
        pos += n;
      },
    });
  }
}
