/** Loads Sigstore trust material for the CLI (files given by the user; the embedded root otherwise). */
import { readFile } from 'node:fs/promises';
import { ModelVerifyError } from '../core/errors.js';

export async function loadTrustedRoot(o: { trustedRoot?: string; trustConfig?: string; useStaging?: boolean }): Promise<unknown> {
  const file = o.trustedRoot ?? o.trustConfig;
  if (!file) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ModelVerifyError('TRUST_ROOT_INVALID', `Cannot read trust material '${file}': ${(e as Error).message}`, { cause: e });
  }
}
