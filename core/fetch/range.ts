/** HTTP byte ranges (RFC 9110 §14): the one-range forms runtimes send, e.g. Transformers.js's `bytes=0-0` probe. */

/** A requested range: `first-last` (last inclusive, null for open-ended) or a suffix of `suffix` bytes. */
export type ByteRange = { first: number; last: number | null } | { suffix: number };

/** Parses a Range header; anything else than one well-formed byte range is null (served whole, as RFC 9110 allows). */
export function parseRange(header: string | null): ByteRange | null {
  const m = header && /^\s*bytes\s*=\s*(\d{0,16})\s*-\s*(\d{0,16})\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix > 0 ? { suffix } : null;
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? null : Number(m[2]);
  if (!Number.isSafeInteger(first) || (last !== null && (!Number.isSafeInteger(last) || last < first))) return null;
  return { first, last };
}

/** The inclusive [start, end] a range selects in a body of `size` bytes, or null when it is unsatisfiable (416). */
export function resolveRange(r: ByteRange, size: number): { start: number; end: number } | null {
  if (size === 0) return null;
  if ('suffix' in r) return { start: Math.max(0, size - r.suffix), end: size - 1 };
  if (r.first >= size) return null;
  return { start: r.first, end: Math.min(r.last ?? size - 1, size - 1) };
}
