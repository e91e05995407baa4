/** Entry to core/sources/ for adapters and shells. */
export { HttpSource, fetchBytes, type HttpSourceOptions } from './http-source.js';
export { MemorySource } from './memory-source.js';
