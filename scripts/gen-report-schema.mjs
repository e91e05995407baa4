#!/usr/bin/env node
// Writes the ErrorCode union of core/errors.ts into report.schema.json ($defs.errorCode.enum), so the schema's
// codes cannot drift from the ones core emits. Everything else in the schema is edited by hand; this script
// also normalises its formatting (2-space JSON), so run it after editing the schema too.
// Usage: node scripts/gen-report-schema.mjs [--check]   (--check fails when the committed schema is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ERRORS = path.join(ROOT, 'core/errors.ts');
const SCHEMA = path.join(ROOT, 'report.schema.json');

/**
 * The string literals of `export type ErrorCode = | 'A' | 'B' ...;`. Comments are dropped first (they may hold
 * quotes and semicolons); anything left that is not `| 'CODE'` throws, so a new kind of member (a type reference,
 * a template literal) fails here instead of silently leaving the enum short.
 */
export function errorCodes(source) {
  const start = source.indexOf('export type ErrorCode =');
  if (start < 0) throw new Error(`${ERRORS}: no 'export type ErrorCode =' declaration`);
  const body = source
    .slice(start + 'export type ErrorCode ='.length)
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ');
  const end = body.indexOf(';');
  if (end < 0) throw new Error(`${ERRORS}: the ErrorCode union has no terminating ';'`);
  const union = body.slice(0, end);
  const rest = union.replace(/\|?\s*'([A-Z][A-Z0-9_]*)'\s*/g, '').trim();
  if (rest !== '') throw new Error(`${ERRORS}: unexpected text in the ErrorCode union: ${rest.slice(0, 80)}`);
  const codes = [...union.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
  const dup = codes.find((c, i) => codes.indexOf(c) !== i);
  if (dup) throw new Error(`${ERRORS}: ErrorCode '${dup}' is listed twice`);
  if (codes.length === 0) throw new Error(`${ERRORS}: the ErrorCode union is empty`);
  return codes;
}

/** The schema text with the enum replaced; codes keep the union's order (grouped by concern, as in errors.ts). */
export function generate(schemaText, errorsSource) {
  const schema = JSON.parse(schemaText);
  const def = schema.$defs?.errorCode;
  if (!def) throw new Error(`${SCHEMA}: no $defs.errorCode`);
  def.enum = errorCodes(errorsSource);
  return JSON.stringify(schema, null, 2) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const current = readFileSync(SCHEMA, 'utf8');
  const next = generate(current, readFileSync(ERRORS, 'utf8'));
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write('report.schema.json is stale (error codes or formatting): run node scripts/gen-report-schema.mjs\n');
      process.exit(1);
    }
  } else if (next !== current) {
    writeFileSync(SCHEMA, next);
    process.stdout.write(`report.schema.json: ${JSON.parse(next).$defs.errorCode.enum.length} error codes\n`);
  }
}
