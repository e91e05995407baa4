/**
 * Resource names. Every name from a signature is hostile until proven otherwise: it must be a relative
 * POSIX path inside the model, with no `..`, no NUL, no absolute or empty form, before it is ever used
 * to open a file (the reference's ignore-unsigned-files mode lacks this check; see oms-format §3.7).
 */
import { fail } from '../errors.js';
import { clip } from '../util/json.js';

export const MAX_NAME_BYTES = 4096;

/** PurePosixPath-style normalisation (collapse `//` and `.` components, drop a trailing `/`), then containment. */
export function normalizeResourcePath(raw: string, what = 'Resource name'): string {
  if (raw.length === 0) fail('PATH_UNSAFE', `${what} is empty`);
  if (raw.length > MAX_NAME_BYTES) fail('PATH_UNSAFE', `${what} is too long`);
  if (raw.includes('\0')) fail('PATH_UNSAFE', `${what} contains a NUL byte`);
  if (raw.startsWith('/')) fail('PATH_UNSAFE', `${what} '${raw}' is an absolute path`);
  if (/^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith('\\\\')) fail('PATH_UNSAFE', `${what} '${raw}' is an absolute Windows path`);
  // Most names are already in normal form (no empty, `.` or `..` components): skip the split/join.
  if (!/(?:^|\/)\.\.?(?:\/|$)|\/\/|\/$/.test(raw)) return raw;
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) fail('PATH_UNSAFE', `${what} '${raw}' escapes the model directory`);
  if (parts.length === 0) return '.';
  return parts.join('/');
}

/** Splits `path:start:end` from the right (paths may contain ':'), with strict decimal offsets. */
export function parseShardName(raw: string): { path: string; start: number; end: number } {
  const m = /^(.*):(0|[1-9][0-9]*):([1-9][0-9]*)$/.exec(raw);
  if (!m) fail('MANIFEST_INVALID', `Invalid shard resource name '${clip(raw)}': expected <path>:<start>:<end>`);
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start >= end) {
    fail('MANIFEST_INVALID', `Invalid shard range in '${clip(raw)}'`);
  }
  return { path: normalizeResourcePath(m[1]!), start, end };
}

export function shardId(path: string, start: number, end: number): string {
  return `${path}:${start}:${end}`;
}
