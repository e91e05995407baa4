/**
 * Sigstore trust material for the CLI: `--trusted-root FILE` (TrustedRoot JSON), `--trust-config FILE`
 * (ClientTrustConfig, camelCase or snake_case), `--use-staging`; the production root embedded at build time
 * otherwise. Nothing is fetched: verification is offline.
 */
import path from 'node:path';
import { ModelVerifyError } from '../core/index.js';
import { parseTrustRoot, type TrustRoot } from '../core/sigstore/index.js';
import { MAX_TRUST_ROOT_BYTES, readText } from './read-input.js';

export interface TrustOptions {
  trustedRoot?: string;
  trustConfig?: string;
  useStaging?: boolean;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readText(file, what, MAX_TRUST_ROOT_BYTES); // regular file, size-capped (read-input.ts)
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `Cannot read ${what} '${file}': ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `${what} '${file}' is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Returns the parsed trust root, or undefined for the embedded production root. */
export async function loadTrustedRoot(o: TrustOptions): Promise<TrustRoot | undefined> {
  if (o.trustedRoot && o.trustConfig) throw new ModelVerifyError('POLICY_INVALID', 'Use either --trusted-root or --trust-config, not both');
  if (o.trustConfig) {
    // Like the reference verifier: a trust config wins over --use-staging.
    return parseTrustRoot(await readJson(o.trustConfig, 'trust config'), `trust config ${path.basename(o.trustConfig)}`);
  }
  if (o.trustedRoot) return parseTrustRoot(await readJson(o.trustedRoot, 'trusted root'), `trusted root ${path.basename(o.trustedRoot)}`);
  if (o.useStaging) {
    throw new ModelVerifyError(
      'TRUST_ROOT_INVALID',
      'No Sigstore staging trust root is available offline (the pinned @sigstore/tuf ships only the production root) and model-verify never fetches one: ' +
        'download the staging trusted_root.json yourself and pass it with --trusted-root',
    );
  }
  return undefined;
}
