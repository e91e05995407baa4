/** Entry to core/hash/ for adapters and shells. */
export { type Hasher, registerHasher, registerStreamDigester, type StreamSink } from './hasher.js';
export {
  largestFirst,
  ProgressTracker,
  type HashBackend,
  type HashRunOptions,
  type Progress,
  hashJobFromStream,
  runPool,
  StreamingBackend,
} from './backend.js';
export { copyDigest, type Digests, PackedDigests } from './digests.js';
export { ByteBudget } from './budget.js';
export { FailFast, SerialRuns } from './pool-run.js';
