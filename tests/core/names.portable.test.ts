/**
 * normalizeResourcePath's one-pass scan against the regular-expression version it replaced (kept here as the
 * oracle): the same normal form or the same PATH_UNSAFE message for names built from the characters that matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeResourcePath } from '../../core/manifest/names.js';

function oracle(raw: string, what = 'Resource name'): string {
  if (raw.length === 0) throw new Error(`${what} is empty`);
  if (raw.length > 4096) throw new Error(`${what} is too long`);
  if (raw.includes('\0')) throw new Error(`${what} contains a NUL byte`);
  if (raw.startsWith('/')) throw new Error(`${what} '${raw}' is an absolute path`);
  if (/^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith('\\\\')) throw new Error(`${what} '${raw}' is an absolute Windows path`);
  if (!/(?:^|\/)\.\.?(?:\/|$)|\/\/|\/$/.test(raw)) return raw;
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`${what} '${raw}' escapes the model directory`);
  if (parts.length === 0) return '.';
  return parts.join('/');
}

const run = (f: (s: string) => string, s: string) => {
  try {
    return { ok: f(s) };
  } catch (e) {
    return { error: (e as Error).message };
  }
};

describe('normalizeResourcePath', () => {
  it('normalizes and refuses exactly as the regular-expression version', () => {
    const unit = fc.constantFrom('a', 'Z', '.', '/', '\\', ':', '\0', 'é', '😀', 'c');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), (s) => {
        expect(run(normalizeResourcePath, s)).toEqual(run(oracle, s));
      }),
      { numRuns: 3000 },
    );
    for (const s of ['C:/x', 'c:\\x', 'C:x', '\\\\srv', '\\x', '1:/x', '@:/x', '[:/x', 'x'.repeat(4097), 'a/../b', '..', '.', './', 'a//b/'])
      expect(run(normalizeResourcePath, s)).toEqual(run(oracle, s));
  });
});
