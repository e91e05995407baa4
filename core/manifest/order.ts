/**
 * The reference's manifest order: path components compared as lists (so `a/b` < `a-c`), strings by
 * Unicode code point (not UTF-16 units), shard offsets numerically. This order fixes the root digest.
 */
import type { Resource } from './types.js';

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after every BMP unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

export function compareResources(a: Pick<Resource, 'path' | 'start' | 'end'>, b: Pick<Resource, 'path' | 'start' | 'end'>): number {
  return comparePaths(a.path, b.path) || (a.start ?? 0) - (b.start ?? 0) || (a.end ?? 0) - (b.end ?? 0);
}

export function sortResources<T extends Pick<Resource, 'path' | 'start' | 'end'>>(items: T[]): T[] {
  return items.sort(compareResources);
}
