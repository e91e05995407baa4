/** Entry to core/util/ for adapters and shells. */
export { formatBytes } from './format.js';
export { fromHex, readAtMost, toHex, utf8Encode, sha256 } from './bytes.js';
export { inPhase, type OnPhase, type PhaseName, type PhaseAttributes, type PhaseResult } from './phase.js';
export { isObject, parseJson } from './json.js';
