/**
 * Where model bytes come from. Runtime adapters implement this (Node filesystem in cli/, browser File and
 * FileSystemDirectoryHandle in web/, fetch+Range in core/sources/http-source.ts, R2 in worker/).
 */
export interface ModelEntry {
  /** POSIX path relative to the model root, no leading `./`; "." when the model is a single file. */
  path: string;
  kind: 'file' | 'symlink' | 'other';
  /** Size in bytes of the file, or of the symlink's target when it is a file. */
  size: number;
  /** For symlinks: what the link resolves to. `outside` = a target outside the model root. */
  link?: 'file' | 'dir' | 'outside' | 'broken';
  /**
   * What the file (for a symlink: its target) was when listed, where the source can tell (Node: `dev:ino:mtimeNs`).
   * Opaque, for equality only. The source's own reads check it again, so a file swapped or rewritten after
   * listing is MODEL_CHANGED instead of being hashed.
   */
  identity?: string;
}

export interface ListOptions {
  signal?: AbortSignal;
  /**
   * Directories for which this returns true are not descended into (ignored subtrees such as `.git`). The Node
   * walk also asks it about an entry it cannot stat: an ignored one is skipped, any other is an error.
   */
  prune?: (dirPath: string) => boolean;
}

export interface ModelSource {
  /** Model name for reports and the statement subject (the directory or file basename). */
  readonly name: string;
  /** False for sources that cannot enumerate (plain HTTP): only signed names are checked, extras go unseen. */
  readonly listable: boolean;
  /** Every non-directory entry, recursively; symlinked directories are reported, never descended into. */
  list(options?: ListOptions): AsyncIterable<ModelEntry>;
  /** One entry by path, or null when it does not exist. */
  stat(path: string, signal?: AbortSignal): Promise<ModelEntry | null>;
  /** Bytes [start, end) of a file (the whole file by default) as a stream. */
  open(path: string, range?: { start: number; end: number }, signal?: AbortSignal): ReadableStream<Uint8Array>;
}
