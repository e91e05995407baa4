/**
 * PKCS#11 URIs (RFC 7512), e.g. `pkcs11:token=model-signing;object=mykey?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234`.
 * Hand-written: the npm registry has no maintained RFC 7512 parser (none in our package lists), and the grammar is
 * small. It is strict on purpose, since the URI decides which shared library we load and which key signs: unknown
 * standard attributes, duplicates, characters the grammar does not allow, bad percent-escapes, relative module
 * paths and both PIN forms at once are all refused (KEY_MALFORMED) instead of being guessed at.
 */
import { fail } from '../core/errors.js';

/** Path attributes RFC 7512 §2.3 defines (vendor `x-…` ones are accepted and ignored). */
const PATH_ATTRS = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'object',
  'type',
  'id',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
]);
const QUERY_ATTRS = new Set(['pin-source', 'pin-value', 'module-name', 'module-path']);
const TYPES = new Set(['public', 'private', 'cert', 'secret-key', 'data']);
/** pk11-unreserved and pk11-res-avail, plus "&" in the path and "/", "?", "|" in the query (RFC 7512 §2.3). */
const PATH_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;
const NAME = /^[a-z][a-z0-9-]*$/;
export const MAX_URI_CHARS = 4096;

export interface Pkcs11Uri {
  /** Path attributes, percent-decoded (text), except `id`, which is bytes. */
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  object?: string;
  type?: string;
  id?: Uint8Array;
  slotId?: number;
  /** Query attributes. */
  pinValue?: string;
  pinSource?: string;
  moduleName?: string;
  modulePath?: string;
}

function decodeBytes(v: string, what: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '%') {
      out.push(Number.parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(v.charCodeAt(i));
  }
  if (out.some((b) => Number.isNaN(b))) fail('KEY_MALFORMED', `PKCS#11 URI: bad percent-escape in ${what}`);
  return new Uint8Array(out);
}

function decodeText(v: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decodeBytes(v, what));
  } catch {
    fail('KEY_MALFORMED', `PKCS#11 URI: ${what} is not UTF-8 text`);
  }
}

function pairs(part: string, sep: string, valueRe: RegExp, where: string): Map<string, string> {
  const out = new Map<string, string>();
  if (part === '') return out;
  for (const item of part.split(sep)) {
    const eq = item.indexOf('=');
    if (eq <= 0) fail('KEY_MALFORMED', `PKCS#11 URI: '${item.slice(0, 40)}' in the ${where} is not name=value`);
    const name = item.slice(0, eq).toLowerCase();
    const value = item.slice(eq + 1);
    if (!NAME.test(name)) fail('KEY_MALFORMED', `PKCS#11 URI: bad attribute name in the ${where}`);
    if (!valueRe.test(value)) fail('KEY_MALFORMED', `PKCS#11 URI: attribute '${name}' has characters a PKCS#11 URI does not allow (percent-encode them)`);
    if (out.has(name)) fail('KEY_MALFORMED', `PKCS#11 URI: attribute '${name}' appears twice`);
    out.set(name, value);
  }
  return out;
}

/** Parses and validates a PKCS#11 URI; every problem is a KEY_MALFORMED error naming the attribute. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (uri.length > MAX_URI_CHARS) fail('KEY_MALFORMED', `PKCS#11 URI longer than ${MAX_URI_CHARS} characters`);
  if (!/^pkcs11:/i.test(uri)) fail('KEY_MALFORMED', "A PKCS#11 URI starts with 'pkcs11:'");
  const rest = uri.slice(7);
  const q = rest.indexOf('?');
  const path = pairs(q < 0 ? rest : rest.slice(0, q), ';', PATH_VALUE, 'path');
  const query = pairs(q < 0 ? '' : rest.slice(q + 1), '&', QUERY_VALUE, 'query');
  const out: Pkcs11Uri = {};
  for (const [name, raw] of path) {
    if (name.startsWith('x-')) continue;
    if (!PATH_ATTRS.has(name)) fail('KEY_MALFORMED', `PKCS#11 URI: unknown path attribute '${name}'`);
    if (name === 'id') out.id = decodeBytes(raw, 'id');
    else if (name === 'slot-id') {
      if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) > 0xffffffff) fail('KEY_MALFORMED', 'PKCS#11 URI: slot-id must be a number below 2^32');
      out.slotId = Number(raw);
    } else {
      const v = decodeText(raw, name);
      if (name === 'type' && !TYPES.has(v)) fail('KEY_MALFORMED', `PKCS#11 URI: type must be one of ${[...TYPES].join(', ')}`);
      if (name === 'token' || name === 'manufacturer' || name === 'serial' || name === 'model' || name === 'object' || name === 'type') out[name] = v;
    }
  }
  for (const [name, raw] of query) {
    if (name.startsWith('x-')) continue;
    if (!QUERY_ATTRS.has(name)) fail('KEY_MALFORMED', `PKCS#11 URI: unknown query attribute '${name}'`);
    const v = decodeText(raw, name);
    if (name === 'pin-value') out.pinValue = v;
    else if (name === 'pin-source') out.pinSource = v;
    else if (name === 'module-name') out.moduleName = v;
    else out.modulePath = v;
  }
  if (out.pinValue !== undefined && out.pinSource !== undefined) fail('KEY_MALFORMED', 'PKCS#11 URI: give pin-value or pin-source, not both');
  if (out.modulePath !== undefined && !out.modulePath.startsWith('/')) fail('KEY_MALFORMED', 'PKCS#11 URI: module-path must be an absolute path');
  if (out.type !== undefined && out.type !== 'private')
    fail('KEY_MALFORMED', `PKCS#11 URI: signing needs a private key object (type=private), not type=${out.type}`);
  if (out.object === undefined && out.id === undefined) fail('KEY_MALFORMED', "PKCS#11 URI: name the key with 'object' (its label) or 'id'");
  return out;
}
