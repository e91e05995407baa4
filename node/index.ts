/**
 * Entry `model-verify/node`: the Node adapter. A filesystem `ModelSource` and two hash backends over node:crypto
 * (OpenSSL, SHA-NI): a worker_threads pool (what the CLI uses) and an in-thread one for hosts that must not start
 * threads. The core (`model-verify`) does the deciding; this only reads files and hashes bytes.
 */
export { NodeSource, READ_CHUNK } from './source.js';
export { NodeHashPool, type NodePoolOptions } from './hash-pool.js';
export { NodeCryptoBackend, hashFileRange } from './crypto-backend.js';
