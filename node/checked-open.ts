/**
 * One open per file, checked: model files are opened without following a final symlink, the handle is
 * fstat-ed and must still be the regular file the walk listed (device, inode, size, mtime), bytes are read
 * from that handle only, and size and mtime are checked again once the read is done. A file swapped, grown,
 * shrunk or rewritten between listing and the end of hashing is MODEL_CHANGED, never a verified model.
 *
 * Used by the source's streams (node-source.ts), the in-thread backend (node-hash.ts) and inside the hash
 * pool's workers (hash-worker.ts): keep it free of anything but node:fs, node:path and core/errors.ts.
 */
import { constants, fstatSync, openSync, closeSync, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ModelVerifyError } from '../core/errors.js';

/** What the walk saw of a file (for an allowed symlink: of its resolved target). bigint: inode numbers can exceed 2^53. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
}

/** A listed file: where its bytes are read from and what they must still be. */
export interface FileTarget {
  /** Model-relative name, for messages. */
  name: string;
  /** Absolute path opened: the file itself, or the symlink's resolved target (so O_NOFOLLOW applies to it). */
  file: string;
  expect: FileIdentity;
}

/**
 * O_NOFOLLOW: a final component swapped for a symlink fails (ELOOP) instead of being read through.
 * O_NONBLOCK: a final component swapped for a FIFO opens at once instead of blocking until a writer appears
 * (the fstat check then refuses it); it changes nothing for regular files. O_NOCTTY: never a controlling tty.
 * (`?? 0`: flags a platform lacks; the dev/ino check still refuses a different file.)
 */
export const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Where the bytes of listed file `name` (model-relative, POSIX) are read unless the listing says otherwise (a
 * symlink's resolved target): the model root itself for a single-file model ('.'), else root/name. Batches carry
 * names only and rebuild this, instead of an absolute path string per file.
 */
export function fileOf(root: string, name: string): string {
  if (name === '.') return root;
  return root + path.sep + (path.sep === '/' ? name : name.split('/').join(path.sep));
}

/** The opaque `ModelEntry.identity` string of a listed file. */
export function identityString(id: FileIdentity): string {
  return `${id.dev}:${id.ino}:${id.mtimeNs}`;
}

const changed = (t: FileTarget, why: string, cause?: unknown) =>
  new ModelVerifyError('MODEL_CHANGED', `'${t.name}' changed while it was being verified (${why})`, { resource: t.name, ...(cause ? { cause } : {}) });

/** Errors of open(2): the file being gone or now a symlink is a change to the model; anything else is IO_ERROR. */
function openError(t: FileTarget, e: unknown): ModelVerifyError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return changed(t, 'it no longer exists', e);
  // ELOOP (Linux) / EMLINK (FreeBSD): O_NOFOLLOW met a symlink where a regular file was listed.
  if (code === 'ELOOP' || code === 'EMLINK') return changed(t, 'it was replaced by a symlink', e);
  return new ModelVerifyError('IO_ERROR', `Cannot open '${t.name}': ${(e as Error)?.message ?? e}`, { resource: t.name, cause: e });
}

function statError(t: FileTarget, e: unknown): ModelVerifyError {
  return new ModelVerifyError('IO_ERROR', `Cannot stat '${t.name}': ${(e as Error)?.message ?? e}`, { resource: t.name, cause: e });
}

/** The handle just opened must be the listed regular file, unchanged. */
function checkOpened(t: FileTarget, st: BigIntStats): void {
  if (!st.isFile()) throw changed(t, 'it is no longer a regular file');
  if (st.dev !== t.expect.dev || st.ino !== t.expect.ino) throw changed(t, 'it was replaced by another file');
  checkSame(t, st);
}

/** Size and mtime as listed: a file that grew, shrank or was rewritten in place. */
function checkSame(t: FileTarget, st: BigIntStats): void {
  if (Number(st.size) !== t.expect.size) throw changed(t, `its size is now ${st.size} bytes, ${t.expect.size} were listed`);
  if (st.mtimeNs !== t.expect.mtimeNs) throw changed(t, 'it was modified');
}

/** Synchronous variant (hash workers read synchronously). Returns an fd the caller closes. */
export function openCheckedSync(t: FileTarget): number {
  const fd = openListedSync(t);
  try {
    checkIdentitySync(fd, t);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Opens the listed path (no final symlink followed, never blocking on a FIFO) without checking what it opened:
 * for a read bounded by the listed size, done in one piece, whose fd is then checked once with checkIdentitySync
 * after the read (see hash-worker.ts hashFile). Returns an fd the caller closes.
 */
export function openListedSync(t: FileTarget): number {
  try {
    return openSync(t.file, OPEN_FLAGS);
  } catch (e) {
    throw openError(t, e);
  }
}

/** One fstat: the fd must be the listed regular file (device, inode), with the listed size and mtime. */
export function checkIdentitySync(fd: number, t: FileTarget): void {
  let st: BigIntStats;
  try {
    st = fstatSync(fd, { bigint: true });
  } catch (e) {
    throw statError(t, e);
  }
  checkOpened(t, st);
}

/** After the last read: one fstat on the same fd. */
export function checkUnchangedSync(fd: number, t: FileTarget): void {
  let st: BigIntStats;
  try {
    st = fstatSync(fd, { bigint: true });
  } catch (e) {
    throw statError(t, e);
  }
  checkSame(t, st);
}

export async function openChecked(t: FileTarget): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(t.file, OPEN_FLAGS);
  } catch (e) {
    throw openError(t, e);
  }
  try {
    const st = await fh.stat({ bigint: true }).catch((e: unknown) => {
      throw statError(t, e);
    });
    checkOpened(t, st);
    return fh;
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
}

export async function checkUnchanged(fh: FileHandle, t: FileTarget): Promise<void> {
  const st = await fh.stat({ bigint: true }).catch((e: unknown) => {
    throw statError(t, e);
  });
  checkSame(t, st);
}

/** A job's range must lie inside the listed file (the plan cut it from the listed size). */
export function checkRange(t: FileTarget, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end)) {
    throw new ModelVerifyError('IO_ERROR', `Bad byte range ${start}-${end} for '${t.name}'`, { resource: t.name });
  }
  if (end > t.expect.size) throw changed(t, `${end} bytes were expected, ${t.expect.size} were listed`);
}
