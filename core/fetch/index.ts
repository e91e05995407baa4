/** Entry to core/fetch/: a fetch that releases only verified model bytes. */
export {
  createVerifiedFetch,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_ONE_SHOT_BYTES,
  type VerifiedFetch,
  type VerifiedFetchOptions,
  type VerifiedFetchProgress,
  type VerifiedLookup,
} from './verified-fetch.js';
export { createVerifiedCache, type VerifiedCache, type VerifiedCacheOptions } from './verified-cache.js';
export type { Piece, SignedFile } from './signed-files.js';
