/** Single byte-range requests (RFC 9110 §14). Multi-range requests are answered with the whole object, as allowed. */
export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' }; // unknown unit, syntax we do not honour, or several ranges
  const [, a, b] = m;
  if (a === '' && b === '') return { kind: 'full' };
  // Digits only (the pattern), so Number() is never NaN; a 30-digit value becomes a huge float or Infinity,
  // which compares correctly with any size: it is "past the end", and is clamped or refused, never wrapped.
  if (a === '') {
    // suffix range: the last N bytes; N past the size means the whole representation (§14.1.3)
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: n >= size ? 0 : size - n, end: size };
  }
  const start = Number(a);
  if (!(start < size)) return { kind: 'unsatisfiable' };
  if (b === '') return { kind: 'partial', start, end: size };
  const last = Number(b);
  if (last < start) return { kind: 'full' }; // invalid range-spec: ignore the header
  // A last-byte-pos at or past the end means "to the end" (§14.1.2): `bytes=0-<huge>` is a 206 of everything.
  return { kind: 'partial', start, end: last >= size - 1 ? size : last + 1 };
}
