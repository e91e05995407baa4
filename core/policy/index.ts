/** Entry to core/policy/ for adapters and shells. */
export { parsePolicy, type ParsePolicyOptions, type PolicyField } from './parse.js';
export { type Policy } from './types.js';
