import { fail, type ErrorCode } from '../errors.js';

export type JsonObject = { [k: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deepest nesting of objects and arrays we accept. Bundles, statements, log entries and trust roots are at
 * most ~8 levels deep; a hostile document nested 1e5 levels deep would overflow the stack of anything that
 * walks it recursively afterwards (JSON.stringify, String(), structured clone, and JSON.parse itself in
 * engines whose parser recurses), so it is refused before JSON.parse runs.
 */
export const MAX_JSON_DEPTH = 64;

export interface ParseJsonOptions {
  /**
   * Also refuse an object holding two spellings of one field (`dsseEnvelope` and `dsse_envelope`): protobuf
   * JSON readers accept both, and which one wins differs between implementations. For protobuf-JSON
   * documents (bundles) and the statement; off for free-form JSON such as identity-token claims.
   */
  spellings?: boolean;
}

/**
 * JSON.parse, hardened: nesting is capped (code `code`), and duplicate keys are refused (BUNDLE_AMBIGUOUS):
 * JSON.parse silently keeps the last of two equal keys, so `{"resources": [...], "resources": [...]}` would
 * let one reader see files another never checks.
 */
export function parseJson(text: string, what: string, code: ErrorCode = 'BUNDLE_MALFORMED', opts: ParseJsonOptions = {}): unknown {
  const scan = scanJson(text, !!opts.spellings);
  if (scan.tooDeep) fail(code, `${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail(code, `${what} is not valid JSON: ${clip((e as Error).message)}`);
  }
  // Reported only once the text is known to be valid JSON, so malformed input keeps its own error.
  if (scan.ambiguity) fail('BUNDLE_AMBIGUOUS', `${what} is ambiguous: ${scan.ambiguity}`);
  return value;
}

/** Elements of the large array parsed at a time by parseJsonChunked. */
const CHUNK = 2048;

/**
 * parseJson for a document with one large array at `path` from its root object (a statement's predicate.resources):
 * the array's elements are parsed CHUNK at a time and handed to `each` in order, so they are never all alive at once
 * (a 100k-resource statement's tree is ~20 MB that would outlive the parse in the old generation); `outer` is the
 * document with that array empty, and `count` its length. Every piece of the text is parsed before this returns, so
 * nothing is judged on a document that is not JSON. Undefined when the array is not found as simply as that, or any
 * piece fails to parse: the caller then reads the document with parseJson, whose verdict and error are the plain
 * reading's (depth and repeated keys are checked over the whole text first either way). `each` must only collect.
 */
export function parseJsonChunked(
  text: string,
  what: string,
  code: ErrorCode,
  opts: ParseJsonOptions,
  path: readonly string[],
  each: (index: number, value: unknown, count: number) => void,
): { outer: unknown; count: number } | undefined {
  const scan = scanJson(text, !!opts.spellings, path);
  if (scan.tooDeep) fail(code, `${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  const span = scan.span;
  if (scan.ambiguity !== undefined || !span) return undefined;
  try {
    // The document with the array emptied: valid, and holding an empty array exactly there, or the plain reading.
    const outer = JSON.parse(text.slice(0, span.open) + '[]' + text.slice(span.close + 1)) as unknown;
    let node = outer;
    for (const k of path) node = isObject(node) && Object.hasOwn(node, k) ? node[k] : undefined;
    if (!Array.isArray(node) || node.length !== 0) return undefined;
    // The elements, between the brackets and the commas; an empty array has no comma and only space inside.
    const bounds = [span.open, ...span.commas, span.close];
    if (span.commas.length === 0 && text.slice(span.open + 1, span.close).trim() === '') return { outer, count: 0 };
    const count = bounds.length - 1;
    for (let at = 0; at < count; at += CHUNK) {
      const n = Math.min(CHUNK, count - at);
      // Each chunk must be exactly its n elements: an empty one (`[a,,b]`, `[a,]`) does not parse or counts short.
      const part = JSON.parse(`[${text.slice(bounds[at]! + 1, bounds[at + n]!)}]`) as unknown;
      if (!Array.isArray(part) || part.length !== n) return undefined;
      for (let k = 0; k < n; k++) each(at + k, part[k], count);
    }
    return { outer, count };
  } catch {
    return undefined;
  }
}

/**
 * Key identity for the spelling check: protobuf JSON treats `media_type` and `mediaType` as one field, so
 * underscores and case are dropped. Most keys have neither and are used as they are.
 */
function spellingKey(k: string): string {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c === 0x5f || (c >= 0x41 && c <= 0x5a)) return k.replace(/_/g, '').toLowerCase();
  }
  return k;
}

/** 1 for the characters scanJson acts on outside strings: " { } [ ] , : */
const STRUCTURAL = new Uint8Array(128);
for (const ch of '"{}[],:') STRUCTURAL[ch.charCodeAt(0)] = 1;

/** Objects with more keys than this get a Map for duplicate detection; smaller ones are searched linearly. */
const LINEAR_KEYS = 32;

/** Where the array at a path of keys lies in the text: its brackets and the commas between its elements. */
interface ArraySpan {
  open: number;
  close: number;
  commas: number[];
}

/**
 * One linear pass over the raw text (before JSON.parse): nesting depth, and the keys of every object so
 * duplicates are seen (JSON.parse hides them). Keys are compared decoded (`"a"` and `"\u0061"` are the
 * same key). It does not validate JSON; JSON.parse does, and its error wins when the text is malformed.
 * Memory: the keys of the open objects (at most MAX_JSON_DEPTH of them), never more than the text; small
 * objects allocate nothing (their keys live in one shared array), so 200k resource objects cost no GC.
 */
function scanJson(text: string, spellings: boolean, path?: readonly string[]): { tooDeep?: true; ambiguity?: string; span?: ArraySpan } {
  // `path`: per open container, how many of its keys lead to it from the root object (-1: off the path), and the
  // last key each object read; the container at the end of the path, if it is an array, is `span`.
  const onPath: number[] = [];
  const lastKey: (string | undefined)[] = [];
  let span: ArraySpan | undefined;
  let target = -1;
  let spans = 0;
  // Per open container: whether it is an object, where its keys start in `ids`/`raws`, and a Map once it is large.
  const isObj: boolean[] = [];
  const frame: number[] = [];
  const big: (Map<string, string> | undefined)[] = [];
  const ids: string[] = [];
  const raws: string[] = [];
  let ambiguity: string | undefined;
  let expectKey = false;
  // Outside strings (which are jumped over with indexOf below), only structural characters need attention:
  // a table lookup per character, no allocation (a global regex's exec made a match array per token: a
  // 100k-resource statement has over a million).
  const n = text.length;
  let i = 0;
  for (;;) {
    let c = 0;
    while (i < n && !((c = text.charCodeAt(i)) < 128 && STRUCTURAL[c] === 1)) i++;
    if (i >= n) break;
    if (c === 0x22 /* " */) {
      // Find the closing quote: the first one preceded by an even number of backslashes. Each backslash
      // run is counted once, so this stays linear.
      let end = -1;
      for (let from = i + 1; ; ) {
        const q = text.indexOf('"', from);
        if (q === -1) break;
        let b = q - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        if ((q - 1 - b) % 2 === 0) {
          end = q;
          break;
        }
        from = q + 1;
      }
      if (end === -1) return {}; // unterminated string: JSON.parse reports it
      const top = isObj.length - 1;
      if (expectKey && top >= 0 && isObj[top] && ambiguity === undefined) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            /* a bad escape: JSON.parse of the whole text reports it */
          }
        }
        const id = spellings ? spellingKey(key) : key;
        let prev: string | undefined;
        const map = big[top];
        if (map) {
          prev = map.get(id);
          if (prev === undefined) map.set(id, key);
        } else {
          const from = frame[top]!;
          for (let k = from; k < ids.length; k++) {
            if (ids[k] === id) {
              prev = raws[k];
              break;
            }
          }
          if (prev === undefined) {
            ids.push(id);
            raws.push(key);
            if (ids.length - from > LINEAR_KEYS) {
              const grown = new Map<string, string>();
              for (let k = from; k < ids.length; k++) grown.set(ids[k]!, raws[k]!);
              big[top] = grown;
              ids.length = raws.length = from;
            }
          }
        }
        if (path) lastKey[top] = key;
        if (prev === key) ambiguity = `the key '${clip(key)}' appears twice in one object`;
        else if (prev !== undefined) ambiguity = `the field '${clip(prev)}' is also spelled '${clip(key)}' in the same object`;
      }
      expectKey = false;
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (isObj.length >= MAX_JSON_DEPTH) return { tooDeep: true };
      if (path) {
        const f = isObj.length - 1;
        const at =
          f < 0 ? (c === 0x7b ? 0 : -1) : isObj[f] && onPath[f]! >= 0 && onPath[f]! < path.length && lastKey[f] === path[onPath[f]!] ? onPath[f]! + 1 : -1;
        onPath.push(at);
        lastKey.push(undefined);
        if (at === path.length && c === 0x5b) {
          spans++;
          target = isObj.length;
          span = { open: i, close: -1, commas: [] };
        }
      }
      isObj.push(c === 0x7b);
      frame.push(ids.length);
      big.push(undefined);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      // A bracket that closes the other kind of container (`[1}`): not JSON, and JSON.parse says so. Left to it, as
      // every malformed text is; parseJsonChunked's cut would otherwise lift the mismatch out with the array.
      if (isObj.length > 0 && isObj[isObj.length - 1] !== (c === 0x7d)) return {};
      if (path) {
        if (target >= 0 && isObj.length - 1 === target && span) {
          span.close = i;
          target = -1;
        }
        onPath.pop();
        lastKey.pop();
      }
      const from = frame.pop();
      if (from !== undefined) ids.length = raws.length = from;
      isObj.pop();
      big.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      if (target >= 0 && isObj.length - 1 === target) span!.commas.push(i);
      expectKey = isObj.length > 0 && isObj[isObj.length - 1]!;
    } else if (c === 0x3a /* : */) {
      expectKey = false;
    }
    i++;
  }
  if (path && (spans !== 1 || !span || span.close < 0)) span = undefined;
  if (ambiguity !== undefined) return { ambiguity };
  return span ? { span } : {};
}

/**
 * Reads a field under its camelCase or snake_case name (protobuf JSON accepts both). Both present is
 * refused: readers disagree on which one wins, so a bundle could mean two things.
 */
export function field(obj: JsonObject, camel: string, code: ErrorCode = 'BUNDLE_AMBIGUOUS'): unknown {
  const snake = camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  const hasCamel = Object.hasOwn(obj, camel);
  if (snake !== camel && hasCamel && Object.hasOwn(obj, snake)) {
    fail(code, `Both '${camel}' and '${snake}' are present: the document is ambiguous`);
  }
  if (hasCamel) return obj[camel];
  return Object.hasOwn(obj, snake) ? obj[snake] : undefined;
}

export function requireObject(v: unknown, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): JsonObject {
  if (!isObject(v)) fail(code, `${what} must be a JSON object`);
  return v;
}

export function requireString(v: unknown, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): string {
  if (typeof v !== 'string') fail(code, `${what} must be a string`);
  return v;
}

export function requireArray(v: unknown, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): unknown[] {
  if (!Array.isArray(v)) fail(code, `${what} must be an array`);
  return v;
}

/** Longest piece of an input-derived string put into a message (a media type can be 64 MiB long). */
export const MESSAGE_VALUE_CHARS = 200;

/** A string for a message, cut at `max` UTF-16 units (never in the middle of a surrogate pair). */
export function clip(s: string, max = MESSAGE_VALUE_CHARS): string {
  if (s.length <= max) return s;
  const cut = s.charCodeAt(max - 1) >= 0xd800 && s.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return s.slice(0, cut) + '…';
}

/**
 * Any JSON value for a message: strings as they are (clipped), everything else as a short JSON-like preview.
 * Bounded in time and stack whatever the value: never more than three levels deep and about `max`
 * characters, never JSON.stringify/String() on the whole value (both recurse and overflow on deep input).
 */
export function describeValue(v: unknown, max = MESSAGE_VALUE_CHARS): string {
  if (typeof v === 'string') return clip(v, max);
  if (v === undefined) return 'nothing';
  return clip(preview(v, 3, max), max);
}

function preview(v: unknown, depth: number, max: number): string {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(clip(v, max));
  if (Array.isArray(v)) {
    if (depth === 0) return v.length === 0 ? '[]' : '[…]';
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (s.length > max) return s + '…]';
      s += (i > 0 ? ',' : '') + preview(v[i], depth - 1, max);
    }
    return s + ']';
  }
  if (typeof v === 'object') {
    let s = '{';
    let first = true;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (depth === 0 || s.length > max) return s + (first ? '' : ',') + '…}';
      s += (first ? '' : ',') + JSON.stringify(clip(k, max)) + ':' + preview((v as JsonObject)[k], depth - 1, max);
      first = false;
    }
    return s + '}';
  }
  return typeof v;
}
