/** Entry to core/serialize/ for adapters and shells. */
export { type ListOptions, type ModelEntry, type ModelSource } from './source.js';
export { type HashJob, type JobFeed, planModel } from './plan.js';
export { GIT_PATHS, IgnoreSet } from './ignore.js';
