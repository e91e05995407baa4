/** Entry to core/sources/ for adapters and shells. */
export { HttpSource, fetchBytes, type HttpSourceOptions } from './http-source.js';
export { MemorySource } from './memory-source.js';
export {
  HfSource,
  parseHfSpec,
  nextLink,
  HF_DEFAULT_ENDPOINT,
  type HfSourceOptions,
  type HfSpec,
  type HfTreeFile,
} from './hf-source.js';
export { hubPrecheck } from './hf-precheck.js';
export {
  OciSource,
  RegistryClient,
  parseOciReference,
  formatOciReference,
  type OciReference,
  type OciSourceOptions,
} from './oci-source.js';
