/**
 * A hash run's answer: the digest of every job, by job id. A Map is one; a backend that gets digests in batches
 * (NodeHashPool: one buffer per batch from its workers) keeps them packed instead, with no object per digest.
 */
import type { HashJob } from '../serialize/plan.js';

export interface Digests {
  /** How many digests (one per job answered). */
  readonly size: number;
  get(id: string): Uint8Array | undefined;
  /**
   * Copies the digest of `id` into `out` at `at` (when `out` is given) and returns its length, 0 when there is none:
   * get() without an object per digest, for the checks and the packing of 100k of them. Optional (see copyDigest).
   */
  copyInto?(id: string, out: Uint8Array | undefined, at: number): number;
  /**
   * When the digests are exactly one per job of `jobs` (that very list), in its order, copies them all into `out`
   * (jobs.length × their width bytes) and returns true; otherwise false, and the caller copies them one by one.
   */
  copyAllInto?(jobs: readonly HashJob[], out: Uint8Array): boolean;
  /** Every [id, digest] (order unspecified). */
  [Symbol.iterator](): Iterator<[string, Uint8Array]>;
}

/** Digests.copyInto, through get() for a Digests (a Map) that has no copyInto of its own. */
export function copyDigest(d: Digests, id: string, out: Uint8Array | undefined, at: number): number {
  if (d.copyInto) return d.copyInto(id, out, at);
  const v = d.get(id);
  if (!v) return 0;
  out?.set(v, at);
  return v.byteLength;
}

/**
 * A job's position in a list by its id: a cursor that follows the list (lookups in list order, as a signed
 * manifest's sorted paths are in the walk's order, cost one comparison each), and an id → position Map made only
 * at the first id out of order (100k entries are ~7 MB allocated at the end of a run). `jobs` may grow; `has`
 * says which positions count (the rest are not answered). A plan's ids are distinct.
 */
export class JobPositions {
  private index: Map<string, number> | undefined;
  private indexed = 0;
  private cursor = 0;
  constructor(
    private readonly jobs: readonly HashJob[],
    private readonly has: (k: number) => boolean = () => true,
  ) {}

  find(id: string): number | undefined {
    const n = this.jobs.length;
    if (this.cursor >= n) this.cursor = 0; // a second pass in list order (a backend's check, then the comparison)
    const k = this.cursor;
    if (k < n && this.jobs[k]!.id === id && this.has(k)) {
      this.cursor = k + 1;
      return k;
    }
    if (!this.index || this.indexed !== n) {
      const index = new Map<string, number>();
      for (let i = 0; i < n; i++) if (this.has(i)) index.set(this.jobs[i]!.id, i);
      this.index = index;
      this.indexed = n;
    }
    const at = this.index.get(id);
    if (at !== undefined) this.cursor = at + 1;
    return at;
  }

  /** After the answered set changed: the index is made again if needed. */
  reset(): void {
    this.index = undefined;
  }
}

/** Positions per page of PackedDigests (4,096 × 32 bytes: 128 KiB). */
const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/**
 * Digests stored by position in a job list, one after another in pages of PAGE (`put` copies a batch's digests
 * in at its first job's position). A Map of 100k views held ~13 MB of objects through a 100k-file walk;
 * this holds 3.2 MB of bytes, found by id through JobPositions. Digests of another width than the first (never
 * from one plan) or given by id are kept in a plain Map beside it.
 */
export class PackedDigests implements Digests {
  /** Pages of PAGE digests (and one flag each: 1 where the position has its digest), made as positions are reached. */
  private pages: { bytes: Uint8Array; filled: Uint8Array }[] = [];
  private width = 0;
  private count = 0;
  private other: Map<string, Uint8Array> | undefined;
  private readonly positions: JobPositions;

  /** `jobs` only grows (a feed's list) and positions refer to it; the ids a plan makes are distinct. */
  constructor(private readonly jobs: readonly HashJob[]) {
    this.positions = new JobPositions(jobs, (k) => this.pages[k >> PAGE_BITS]?.filled[k & PAGE_MASK] === 1);
  }

  /** The digests of jobs[at], jobs[at + 1], …: `digests.length / count` bytes each. */
  put(at: number, count: number, digests: Uint8Array): void {
    const w = digests.length / count;
    if (this.width === 0 && Number.isInteger(w) && w > 0) this.width = w;
    if (w !== this.width) {
      for (let k = 0; k < count; k++) this.set(this.jobs[at + k]!.id, digests.slice(k * w, (k + 1) * w));
      return;
    }
    // Pages, not one buffer grown by doubling: the outgrown copies would wait for a full collection to be freed.
    for (let k = 0; k < count; ) {
      const pos = at + k;
      const page = (this.pages[pos >> PAGE_BITS] ??= { bytes: new Uint8Array(PAGE * w), filled: new Uint8Array(PAGE) });
      const from = pos & PAGE_MASK;
      const n = Math.min(count - k, PAGE - from);
      page.bytes.set(digests.subarray(k * w, (k + n) * w), from * w);
      for (let i = from; i < from + n; i++) if (!page.filled[i]) (page.filled[i] = 1), this.count++;
      k += n;
    }
    this.positions.reset();
  }

  /** One digest by id (a job streamed on its own, or of an odd width). */
  set(id: string, digest: Uint8Array): void {
    (this.other ??= new Map()).set(id, digest);
  }

  /** Digests held (a plan's ids are distinct: one per job answered). */
  get size(): number {
    let n = this.count;
    if (this.other) for (const id of this.other.keys()) if (this.positions.find(id) === undefined) n++; // rare: streamed jobs
    return n;
  }

  get(id: string): Uint8Array | undefined {
    const d = this.other?.get(id);
    if (d) return d;
    const k = this.positions.find(id);
    return k === undefined ? undefined : this.view(k);
  }

  copyInto(id: string, out: Uint8Array | undefined, at: number): number {
    const d = this.other?.get(id);
    if (d) {
      out?.set(d, at);
      return d.byteLength;
    }
    const k = this.positions.find(id);
    if (k === undefined) return 0;
    const w = this.width;
    if (out) {
      const bytes = this.pages[k >> PAGE_BITS]!.bytes;
      for (let i = 0, from = (k & PAGE_MASK) * w; i < w; i++) out[at + i] = bytes[from + i]!;
    }
    return w;
  }

  copyAllInto(jobs: readonly HashJob[], out: Uint8Array): boolean {
    const w = this.width;
    const n = jobs.length;
    if (jobs !== this.jobs || this.other || this.count !== n || out.length !== n * w) return false;
    for (let p = 0; p * PAGE < n; p++) {
      const page = this.pages[p];
      const m = Math.min(PAGE, n - p * PAGE);
      if (!page) return false;
      for (let i = 0; i < m; i++) if (page.filled[i] !== 1) return false;
      out.set(page.bytes.subarray(0, m * w), p * PAGE * w);
    }
    return true;
  }

  private view(k: number): Uint8Array {
    const page = this.pages[k >> PAGE_BITS]!;
    return new Uint8Array(page.bytes.buffer, (k & PAGE_MASK) * this.width, this.width);
  }

  *[Symbol.iterator](): Generator<[string, Uint8Array]> {
    const n = Math.min(this.pages.length * PAGE, this.jobs.length);
    for (let k = 0; k < n; k++) {
      if (this.pages[k >> PAGE_BITS]?.filled[k & PAGE_MASK] !== 1) continue;
      const id = this.jobs[k]!.id;
      if (!this.other?.has(id)) yield [id, this.view(k)];
    }
    if (this.other) yield* this.other;
  }
}
