/**
 * CLI path semantics: `--ignore-paths` values and the signature are CWD-relative (or absolute) and mapped into
 * the model LEXICALLY. A path inside the model is matched as written against model-relative names, never
 * resolved through the model's own symlinks: with `cache -> evil`, `--ignore-paths model/cache` ignores the
 * link `cache`, not `evil/`. (The reference's resolve() follows the link and would ignore `evil/`.)
 *
 * Only the part of the path that names the model root itself may go through symlinks: the model can be given
 * through a link, the user may name it by its real path or through a link, and the CWD is always real.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** The model as the CLI sees it: its realpath and, when known, the path the user gave (made absolute lexically). */
export interface ModelRoots {
  root: string;
  given?: string;
}

/** `rel` (from path.relative) stays inside: only a component that is exactly `..` climbs out (`..cache` does not). */
function inside(rel: string): boolean {
  return !path.isAbsolute(rel) && !rel.split(path.sep).includes('..');
}

const posix = (rel: string) => (rel === '' ? '.' : rel.split(path.sep).join('/'));

/**
 * Model-relative POSIX path of `p`, or null when it lies outside the model. `model` is the source (its `root`
 * and `given`) or, for older callers, just the realpath of the model root.
 */
export function modelRelative(model: string | ModelRoots, p: string): string | null {
  const { root, given } = typeof model === 'string' ? { root: model, given: undefined } : model;
  const abs = path.resolve(p); // lexical: `.`/`..` folded as written, no symlink followed
  // 1. Against the model path as given, then its realpath: pure string work.
  for (const base of given !== undefined && given !== root ? [given, root] : [root]) {
    const rel = path.relative(base, abs);
    if (inside(rel)) return posix(rel);
  }
  // 2. Some prefix of `abs` may name the model root through a symlink outside the model (e.g. `/tmp` -> `/private/tmp`,
  //    or a link to the model). Try prefixes shortest first and stop at the first whose realpath is the root, so the
  //    remainder (the part inside the model) is taken as written. Prefixes that do not resolve are skipped.
  const parts = abs.split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const prefix = path.sep + parts.slice(0, i).join(path.sep);
    let real: string;
    try {
      real = realpathSync(prefix);
    } catch {
      break; // a prefix that does not exist: nothing longer exists either
    }
    if (real === root) return posix(parts.slice(i).join(path.sep));
  }
  return null;
}

/**
 * Whether hash workers are worth starting ahead of the walk: not for a model of at most a few small files (the
 * pool hashes runs of ≤ 1 MiB in the main thread, and a worker costs more to start than that takes). Only a
 * guess that overlaps start-up with reading the signature: the pool decides again from the plan, so a wrong
 * guess costs time, never correctness. Looks at a directory's first level only, a bounded number of entries.
 */
export function worthWarming(modelPath: string): boolean {
  const small = 1 << 20;
  try {
    const st = statSync(modelPath);
    if (st.isFile()) return st.size > small;
    if (!st.isDirectory()) return true;
    const entries = readdirSync(modelPath, { withFileTypes: true });
    if (entries.length > 16) return true;
    let bytes = 0;
    for (const e of entries) {
      if (!e.isFile()) return true; // a subdirectory (or a link): the walk decides
      bytes += lstatSync(path.join(modelPath, e.name)).size;
      if (bytes > small) return true;
    }
    return false;
  } catch {
    return true; // not a local path (hf://, oci://, a URL), or not there yet: the run decides
  }
}
