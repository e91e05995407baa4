/** Entry to core/bundle/ for adapters and shells. */
export { MAX_BUNDLE_BYTES, parseBundle } from './reader.js';
export { statementToManifest } from './statement.js';
export { bundleMethod, methodAdvice } from './method.js';
