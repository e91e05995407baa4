/** Single byte-range requests (RFC 9110 §14). Multi-range requests are answered with the whole object, as allowed. */
export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' }; // unknown unit, syntax we do not honour, or several ranges
  const [, a, b] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    // suffix range: the last N bytes
    const n = Number(b);
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  const last = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(last) || last < start) return { kind: 'full' }; // invalid range-spec: ignore the header
  return { kind: 'partial', start, end: Math.min(last + 1, size) };
}
