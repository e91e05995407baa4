/**
 * Checks a downloaded body against signed pieces while it streams: each piece is hashed as its bytes arrive and
 * compared the moment it ends, bytes past the signed extent are refused on arrival (never held), and verified
 * bytes are held in Blobs, which browsers keep outside the JS heap (in the blob store, spilled to disk when large).
 * The exception is a whole file of at most `oneShotBytes` (verified-fetch.ts), held in memory and digested once.
 */
import { fail, ModelVerifyError } from '../errors.js';
import { createHasher, type Hasher } from '../hash/hasher.js';
import { toHex } from '../util/bytes.js';
import type { Piece, SignedFile } from './signed-files.js';

/** Chunks are gathered into a Blob per this many bytes: few Blob objects, and little held in JS at once. */
const BLOB_PART_BYTES = 4 << 20;

/** Collects bytes into Blobs of BLOB_PART_BYTES, so at most one part's worth of chunks is referenced from JS. */
export class BlobHolder {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly parts: Blob[] = [];
  size = 0;

  add(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    if (this.pendingBytes >= BLOB_PART_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(new Blob(this.pending as BlobPart[]));
    this.pending = [];
    this.pendingBytes = 0;
  }

  blob(type = ''): Blob {
    this.flush();
    return new Blob(this.parts, type ? { type } : {});
  }
}

/**
 * Verified bytes of one download: in memory while they total at most `max` (one copy at the end, no Blob store
 * round trip — in Chromium, putting bytes into Blobs and reading them back costs more CPU than hashing them),
 * in a BlobHolder from the moment they would exceed it (or from the start, with `max` 0).
 */
export class HeldBytes {
  private chunks: Uint8Array[] | null = [];
  private joined: Uint8Array | null = null;
  private readonly blobs = new BlobHolder();
  size = 0;

  constructor(private readonly max: number) {
    if (max <= 0) this.chunks = null;
  }

  /** True while the bytes are in memory. */
  get inMemory(): boolean {
    return this.chunks !== null;
  }

  /** Whether `n` more bytes stay in memory. */
  fits(n: number): boolean {
    return this.chunks !== null && this.size + n <= this.max;
  }

  add(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    if (this.chunks && !this.fits(chunk.byteLength)) this.spill();
    this.size += chunk.byteLength;
    if (this.chunks) this.chunks.push(chunk);
    else this.blobs.add(chunk);
  }

  /** Moves the bytes held in memory into Blobs (later ones go there too); returns them, in order. */
  spill(): Uint8Array[] {
    const chunks = this.chunks ?? [];
    this.chunks = null;
    for (const c of chunks) this.blobs.add(c);
    return chunks;
  }

  /** The bytes in memory as one array (joined once). Only while inMemory. */
  bytes(): Uint8Array {
    if (!this.chunks) throw new ModelVerifyError('INTERNAL', 'held bytes are no longer in memory');
    if (!this.joined) {
      const one = new Uint8Array(this.size);
      let at = 0;
      for (const c of this.chunks) one.set(c, (at += c.byteLength) - c.byteLength);
      this.chunks = [one];
      this.joined = one;
    }
    return this.joined;
  }

  /** The body for a Response: the bytes in memory, or the Blob. */
  body(type = ''): Uint8Array | Blob {
    return this.chunks ? this.bytes() : this.blobs.blob(type);
  }
}

/**
 * One body against the pieces of a window [pieces[0].start, last end) of a signed file. `skip` bytes at the start
 * of the body lie before the window (a server that answered a ranged request with the whole file) and are counted,
 * not hashed. `limit` bounds a whole-file piece, whose signed length is unknown.
 */
export class BodyChecker {
  private index = 0;
  private hasher: Hasher | null = null;
  /** The holder whose in-memory bytes are digested at the end (digestAtEnd), while it keeps them in memory. */
  private deferred: HeldBytes | null = null;
  /** Offset in the file of the next byte. */
  private at: number;
  private skip: number;
  readonly windowStart: number;
  /** Exclusive end of the window; null for a whole-file piece. */
  readonly windowEnd: number | null;

  constructor(
    private readonly file: SignedFile,
    private readonly pieces: Piece[],
    skip: number,
    private readonly limit: number,
  ) {
    this.windowStart = pieces[0]!.start;
    this.windowEnd = pieces.at(-1)!.end;
    this.at = this.windowStart;
    this.skip = skip;
  }

  /**
   * For a body whose bytes are held anyway (verify-then-release): a whole-file SHA-256 window whose bytes `held`
   * keeps in memory is not hashed as it streams but once at the end, by WebCrypto's native digest over them —
   * several times the speed of streaming wasm SHA-256 in a page. Once the holder would spill them to Blobs (the
   * file outgrew its bound), the bytes so far are hashed and the rest streams as usual. Returns whether it applies
   * (not for other windows or algorithms, nor without WebCrypto); when it does not, `held` must not keep bytes in
   * memory (the caller spills it).
   */
  digestAtEnd(held: HeldBytes): boolean {
    const whole = this.pieces.length === 1 && this.pieces[0]!.end === null;
    if (!held.inMemory || !whole || this.file.hash !== 'sha256' || typeof globalThis.crypto?.subtle?.digest !== 'function') return false;
    this.deferred = held;
    return true;
  }

  /** Hashes a chunk; returns the part of it inside the window (to hold or release). Throws on a mismatch. */
  async push(chunk: Uint8Array): Promise<Uint8Array> {
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.byteLength);
      this.skip -= n;
      chunk = chunk.subarray(n);
    }
    const end = this.windowEnd ?? this.windowStart + this.limit;
    if (chunk.byteLength > end - this.at) {
      if (this.windowEnd === null) {
        fail('MODEL_TOO_LARGE', `'${this.file.path}' is larger than the ${this.limit} bytes a whole-file download may hold (maxFileBytes)`, {
          resource: this.file.path,
        });
      }
      // Only a full-file window can tell "the file is larger than signed"; a shard window simply ends.
      if (this.windowEnd !== this.file.size) chunk = chunk.subarray(0, end - this.at);
      else fail('HASH_MISMATCH', `'${this.file.path}' is larger than its signed size (${this.file.size} bytes)`, { resource: this.file.path });
    }
    if (this.deferred) {
      const held = this.deferred;
      if (held.fits(chunk.byteLength)) {
        // Held here (the caller holds what push returns: nothing, while the holder is ours), hashed at the end.
        held.add(chunk);
        this.at += chunk.byteLength;
        return new Uint8Array(0);
      }
      // Past the bound: the bytes held so far are hashed and moved to Blobs; this chunk on streams as usual.
      this.deferred = null;
      this.hasher = await createHasher(this.file.hash);
      for (const c of held.spill()) this.hasher.update(c);
    }
    let rest = chunk;
    while (rest.byteLength > 0) {
      const piece = this.pieces[this.index]!;
      this.hasher ??= await createHasher(this.file.hash);
      const take = piece.end === null ? rest.byteLength : Math.min(rest.byteLength, piece.end - this.at);
      this.hasher.update(take === rest.byteLength ? rest : rest.subarray(0, take));
      this.at += take;
      rest = rest.subarray(take);
      if (piece.end !== null && this.at === piece.end) this.close(piece);
    }
    return chunk;
  }

  /** True once every piece of the window has been verified (the rest of a body can be dropped). */
  get complete(): boolean {
    return this.index === this.pieces.length;
  }

  /** The body ended: the last piece (or a whole file) is compared now; a short body is a mismatch. */
  async end(): Promise<number> {
    const piece = this.pieces[this.index];
    if (piece && this.deferred) {
      const bytes = this.deferred.bytes();
      this.deferred = null;
      if (bytes.byteLength !== this.at - this.windowStart)
        throw new ModelVerifyError('INTERNAL', `'${this.file.path}': held ${bytes.byteLength} of ${this.at - this.windowStart} bytes`);
      this.compare(piece, new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
    } else if (piece && piece.end === null) {
      this.hasher ??= await createHasher(this.file.hash);
      this.close(piece);
    }
    if (!this.complete) {
      fail('HASH_MISMATCH', `'${this.file.path}' ended at byte ${this.at}, before the signed extent (${this.windowEnd} bytes)`, { resource: this.file.path });
    }
    return this.at - this.windowStart;
  }

  private close(piece: Piece): void {
    const digest = this.hasher!.digest();
    this.hasher = null;
    this.compare(piece, digest);
  }

  private compare(piece: Piece, raw: Uint8Array): void {
    const digest = toHex(raw);
    this.index++;
    if (digest !== piece.digest) {
      throw new ModelVerifyError('HASH_MISMATCH', `Hash mismatch for '${piece.id}': the downloaded bytes do not match the signed digest`, {
        resource: this.file.method === 'files' ? this.file.path : piece.id,
      });
    }
  }
}
