/** CLI path semantics of the reference: ignore paths and the signature are CWD-relative, mapped into the model. */
import { realpathSync } from 'node:fs';
import path from 'node:path';

function resolveReal(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    // A path that does not exist (yet) still counts: resolve its parent.
    try {
      return path.join(realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/** Model-relative POSIX path of `p`, or null when it lies outside the model root. */
export function modelRelative(modelRoot: string, p: string): string | null {
  const rel = path.relative(modelRoot, resolveReal(p));
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}
