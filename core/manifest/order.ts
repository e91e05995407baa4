/**
 * The reference's manifest order: path components compared as lists (so `a/b` < `a-c`), strings by
 * Unicode code point (not UTF-16 units), shard offsets numerically. This order fixes the root digest.
 */
import type { Resource } from './types.js';

/**
 * Paths compared as lists of components without splitting them (the sort of a 100k-file manifest compared 1.7M
 * pairs, each split into two arrays): '/' ranks below every other unit, so a component that is a prefix of the
 * other's sorts first exactly as in the list comparison. Callers pass normalized paths (no empty components).
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after every BMP unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export function compareResources(a: Pick<Resource, 'path' | 'start' | 'end'>, b: Pick<Resource, 'path' | 'start' | 'end'>): number {
  return comparePaths(a.path, b.path) || (a.start ?? 0) - (b.start ?? 0) || (a.end ?? 0) - (b.end ?? 0);
}

export function sortResources<T extends Pick<Resource, 'path' | 'start' | 'end'>>(items: T[]): T[] {
  return items.sort(compareResources);
}
