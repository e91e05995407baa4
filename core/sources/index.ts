/** Entry to core/sources/ for adapters and shells. */
export { HttpSource, fetchBytes } from './http-source.js';
