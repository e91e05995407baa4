/** Entry to core/manifest/ for adapters and shells. */
export { type HashAlgorithm, type Manifest, type Serialization, type Resource } from './types.js';
export { type ResourceResult, compareManifests } from './compare.js';
export { normalizeResourcePath } from './names.js';
