/** Bindings seen by tests through `cloudflare:test` (same shape as the Worker's Env). */
import type { Env as WorkerEnv } from '../../worker/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
declare module '*?raw' {
  const text: string;
  export default text;
}
