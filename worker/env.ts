/** Bindings declared in wrangler.toml (R2, KV, static assets) and the admin secret. */
import type { Fetcher, KVNamespace, R2Bucket } from '@cloudflare/workers-types/latest';

export interface Env {
  /** Model objects under `m/<model>/<path>`; the signature is `m/<model>/model.sig`. */
  MODELS: R2Bucket;
  /** Policies, signature verdicts and object digests (see worker/store.ts for the key layout). */
  VERDICTS: KVNamespace;
  /** The web app build (absent when the Worker runs without assets). */
  ASSETS?: Fetcher;
  /** Bearer token for publishing; a secret (`wrangler secret put ADMIN_TOKEN`, `.dev.vars` in development). */
  ADMIN_TOKEN?: string;
  /** Optional Sigstore TrustedRoot JSON (a private instance); otherwise the cron's TUF-refreshed root, else the embedded one. */
  TRUSTED_ROOT?: string;
  /** TUF repository the Cron Trigger refreshes the trust root from (default: Sigstore production; worker/trust-cron.ts). */
  TUF_URL?: string;
  /** That repository's initial root.json (required with TUF_URL; production's is embedded). */
  TUF_ROOT?: string;
  /** Extra https origins the signing proxy relays to (comma-separated; a private Sigstore instance's OAuth and Rekor v2). */
  SIGNING_PROXY_ALLOW?: string;
  /** Path prefix every route lives under (e.g. `/mv`; createModelGate's `basePath`), so links it hands out carry it. */
  BASE_PATH?: string;
  /** Hugging Face Hub for `POST /api/v1/hub/verify` (a mirror or private hub; default https://huggingface.co). */
  HF_ENDPOINT?: string;
  /** Hub token for gated or private repositories (a secret: `wrangler secret put HF_TOKEN`); every caller uses it. */
  HF_TOKEN?: string;
}
