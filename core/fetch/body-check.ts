/**
 * Checks a downloaded body against signed pieces while it streams: each piece is hashed as its bytes arrive and
 * compared the moment it ends, bytes past the signed extent are refused on arrival (never held), and verified
 * bytes are held in Blobs, which browsers keep outside the JS heap (in the blob store, spilled to disk when large).
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
 * One body against the pieces of a window [pieces[0].start, last end) of a signed file. `skip` bytes at the start
 * of the body lie before the window (a server that answered a ranged request with the whole file) and are counted,
 * not hashed. `limit` bounds a whole-file piece, whose signed length is unknown.
 */
export class BodyChecker {
  private index = 0;
  private hasher: Hasher | null = null;
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
    if (piece && piece.end === null) {
      this.hasher ??= await createHasher(this.file.hash);
      this.close(piece);
    }
    if (!this.complete) {
      fail('HASH_MISMATCH', `'${this.file.path}' ended at byte ${this.at}, before the signed extent (${this.windowEnd} bytes)`, { resource: this.file.path });
    }
    return this.at - this.windowStart;
  }

  private close(piece: Piece): void {
    const digest = toHex(this.hasher!.digest());
    this.hasher = null;
    this.index++;
    if (digest !== piece.digest) {
      throw new ModelVerifyError('HASH_MISMATCH', `Hash mismatch for '${piece.id}': the downloaded bytes do not match the signed digest`, {
        resource: this.file.method === 'files' ? this.file.path : piece.id,
      });
    }
  }
}
