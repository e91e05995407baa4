/**
 * Entry of the workerd adapter (Cloudflare Workers): the R2 `ModelSource` and the hashers workerd allows
 * (native DigestStream for SHA-256, statically imported wasm for BLAKE2b/BLAKE3 — runtime wasm compilation is
 * refused there). `model-verify/worker` builds on it; call `registerWorkerdHashers()` once before hashing.
 */
export { R2Source, SLICE, type Pin, type R2SourceOptions } from './r2-source.js';
export { registerWorkerdHashers, digestStreamSha256, digestStreamSink, digestStreamCtor } from './hashers.js';
