/** Ignore rules, as the reference applies them: lexical, component-wise prefixes relative to the model root. */
import { normalizeResourcePath } from '../manifest/names.js';

export const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'] as const;

/** Sets of at most this many paths are matched by prefix tests rather than ancestor lookups. */
const LINEAR_MAX = 16;

export class IgnoreSet {
  private readonly paths = new Set<string>();

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  /**
   * Adds a model-relative path. Recorded ignore_paths may carry `\` (signed on Windows); paths that would
   * leave the model are dropped, as the reference silently drops ignores outside the root.
   */
  add(path: string): void {
    this.prefixes = undefined;
    try {
      this.paths.add(normalizeResourcePath(path.replace(/\\/g, '/'), 'Ignore path'));
    } catch {
      /* outside the model or empty: cannot match anything inside it */
    }
  }

  /** Up to LINEAR_MAX paths, each with its trailing '/': a prefix test without a substring per ancestor. */
  private prefixes: string[] | null | undefined;

  has(path: string): boolean {
    if (this.paths.has('.')) return true;
    // Called for every entry of a walk (100k files: a sliced string and a Set lookup per ancestor each).
    if (this.prefixes === undefined) this.prefixes = this.paths.size <= LINEAR_MAX ? [...this.paths].map((p) => p + '/') : null;
    if (this.prefixes) {
      for (const p of this.prefixes) if (path.startsWith(p) || (path.length === p.length - 1 && p.startsWith(path))) return true;
      return false;
    }
    if (this.paths.has(path)) return true;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
      if (this.paths.has(path.slice(0, i))) return true;
    }
    return false;
  }

  /** Sorted list, for reports and for recording in a new signature. */
  list(): string[] {
    return [...this.paths].sort();
  }
}
