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
  // One pass over the characters (two regular expressions and two searches per name cost ~1 µs: 0.1 s for 100k
  // names): a NUL, and whether any component is empty, `.` or `..` (then the name is not in normal form).
  let plain = true;
  let from = 0;
  for (let i = 0; i <= raw.length; i++) {
    const c = i < raw.length ? raw.charCodeAt(i) : 0x2f;
    if (c === 0) fail('PATH_UNSAFE', `${what} contains a NUL byte`);
    if (c !== 0x2f || !plain) continue;
    const n = i - from;
    if (n === 0 || (n === 1 && raw.charCodeAt(from) === 0x2e) || (n === 2 && raw.charCodeAt(from) === 0x2e && raw.charCodeAt(from + 1) === 0x2e)) {
      plain = false;
    }
    from = i + 1;
  }
  if (raw.charCodeAt(0) === 0x2f) fail('PATH_UNSAFE', `${what} '${raw}' is an absolute path`);
  if (windowsAbsolute(raw)) fail('PATH_UNSAFE', `${what} '${raw}' is an absolute Windows path`);
  // Most names are already in normal form (no empty, `.` or `..` components): skip the split/join.
  if (plain) return raw;
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) fail('PATH_UNSAFE', `${what} '${raw}' escapes the model directory`);
  if (parts.length === 0) return '.';
  return parts.join('/');
}

/** `C:/…`, `C:\…` or `\\…` (a UNC path). */
function windowsAbsolute(raw: string): boolean {
  const c = raw.charCodeAt(0) | 0x20;
  const sep = raw.charCodeAt(2);
  if (c >= 0x61 && c <= 0x7a && raw.charCodeAt(1) === 0x3a && (sep === 0x2f || sep === 0x5c)) return true;
  return raw.charCodeAt(0) === 0x5c && raw.charCodeAt(1) === 0x5c;
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
