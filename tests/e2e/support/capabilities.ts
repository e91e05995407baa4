/**
 * Capability checks, so tests of features another part of the project is still building skip with a reason
 * instead of failing. Sigstore: the core answers UNSUPPORTED until core/sigstore lands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isModelVerifyError } from '../../../core/errors.js';
import { verifySignature } from '../../../core/verify/verify-model.js';
import { FIXTURES, SIGSTORE_IDENTITY, SIGSTORE_ISSUER } from './goldens.js';

let sigstore: Promise<boolean> | undefined;

export function sigstoreAvailable(): Promise<boolean> {
  sigstore ??= verifySignature(readFileSync(join(FIXTURES, 'v1.0.1-sigstore/model.sig')), {
    method: 'sigstore',
    identity: SIGSTORE_IDENTITY,
    issuer: SIGSTORE_ISSUER,
  })
    .then(() => true)
    .catch((e) => !(isModelVerifyError(e) && e.code === 'UNSUPPORTED'));
  return sigstore;
}
