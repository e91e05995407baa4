/**
 * Model names and object paths from URLs are hostile: a name is one safe segment, a path must already be
 * in canonical form (core's containment rules), so one object has exactly one URL and one R2 key.
 */
import { normalizeResourcePath } from '../core/manifest/index.js';
import { HttpError } from './http.js';

/** The signature's object name inside a model, as the reference signer writes it. */
export const SIGNATURE_PATH = 'model.sig';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_PATH = 1024;

export function modelName(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The model name is not valid percent-encoding');
  }
  if (!NAME_RE.test(name)) throw new HttpError(400, 'BAD_REQUEST', 'A model name is 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return name;
}

/** `raw` is the still percent-encoded remainder of the URL path. */
export function objectPath(raw: string): string {
  let path: string;
  try {
    path = raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The object path is not valid percent-encoding');
  }
  if (path.length === 0 || path.length > MAX_PATH) throw new HttpError(400, 'BAD_REQUEST', `An object path is 1-${MAX_PATH} characters`);
  // Control characters and backslashes never appear in a portable model path; reject rather than guess.
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw new HttpError(400, 'PATH_UNSAFE', 'The object path contains control characters or backslashes');
  let norm: string;
  try {
    norm = normalizeResourcePath(path, 'Object path');
  } catch (e) {
    throw new HttpError(400, 'PATH_UNSAFE', (e as Error).message);
  }
  if (norm !== path || norm === '.') throw new HttpError(400, 'PATH_UNSAFE', `The object path '${path}' is not in canonical form`);
  return path;
}

export function modelPrefix(name: string): string {
  return `m/${name}/`;
}

export function objectKey(name: string, path: string): string {
  return `${modelPrefix(name)}${path}`;
}

/** Where a model's objects live in the bucket, for workerd's R2Source: its prefix, without its signature. */
export function r2Layout(name: string): { prefix: string; exclude: string[] } {
  return { prefix: modelPrefix(name), exclude: [SIGNATURE_PATH] };
}
