import { fail, type ErrorCode } from '../errors.js';

export type JsonObject = { [k: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJson(text: string, what: string, code: ErrorCode = 'BUNDLE_MALFORMED'): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(code, `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a field under its camelCase or snake_case name (protobuf JSON accepts both). */
export function field(obj: JsonObject, camel: string): unknown {
  if (camel in obj) return obj[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  return obj[snake];
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
