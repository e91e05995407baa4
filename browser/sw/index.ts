/**
 * Entry `model-verify/sw`: a verifying Service Worker for runtimes with no fetch hook (WebLLM's weight shards),
 * or for covering every runtime at once. In the worker script: `serveModelVerifier(self)`; in the page:
 * `await registerModelVerifier({ prefixes, signature, policy, swUrl })`.
 */
export { serveModelVerifier, cacheKey, errorResponse, type ServiceWorkerScopeLike } from './verified-sw.js';
export { registerModelVerifier, type RegisterModelVerifierOptions } from './register.js';
export { CONFIG_CACHE, FILE_CACHE, type VerifierConfig } from './config.js';
