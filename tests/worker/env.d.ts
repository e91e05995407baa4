/**
 * The parts of `cloudflare:test` these tests use, typed against the Worker's own Env (the package's global
 * declarations assume workers-types as the global lib, which would clash with the DOM lib of this repo).
 */
declare module 'cloudflare:test' {
  export const env: import('../../worker/env.js').Env;
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
}
