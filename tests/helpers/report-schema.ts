/**
 * report.schema.json compiled with ajv, for every test that checks an emitted report (Node, Playwright's Node
 * side, and the workerd test isolate, where vitest-pool-workers allows ajv's generated code).
 */
import Ajv2020 from 'ajv/dist/2020.js';
// The attribute: Node's own ESM loader (Playwright's Node side) requires it for JSON; Vite accepts it.
import schema from '../../report.schema.json' with { type: 'json' };

export { schema as REPORT_SCHEMA };

let ajv: Ajv2020 | undefined;

function compiled(): Ajv2020 {
  if (!ajv) {
    // strict: the schema must not rely on anything ajv would silently ignore (unknown keywords, loose types).
    ajv = new Ajv2020({ strict: true, allErrors: true });
    ajv.addSchema(schema, 'report');
  }
  return ajv;
}

/**
 * Schema violations of `value` as readable lines ([] when valid), so a failing test prints what is wrong.
 * `def` validates against one definition instead of the whole report (e.g. 'signer', 'error').
 */
export function schemaErrors(value: unknown, def?: string): string[] {
  const validate = compiled().getSchema(def ? `report#/$defs/${def}` : 'report');
  if (!validate) throw new Error(`report.schema.json has no definition '${def}'`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}
