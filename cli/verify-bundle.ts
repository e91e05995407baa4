/**
 * `verify-bundle`: the Sigstore client conformance protocol (sigstore-conformance docs/cli_protocol.md):
 *   verify-bundle [--staging] --bundle FILE (--certificate-identity I --certificate-oidc-issuer O | --key KEY.pem)
 *                 [--trusted-root FILE] FILE_OR_DIGEST
 * Exit 0 only when the bundle verifies; the reason goes to stderr otherwise.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import type { Artifact } from '../core/sigstore/index.js';
import { fromHex } from '../core/util/index.js';
import { MAX_ARTIFACT_BYTES, MAX_SIGNATURE_BYTES, readBytes } from './read-input.js';
import { sanitize } from './sanitize.js';
import { addTrustOptions } from './trust-options.js';

interface VerifyBundleOptions {
  staging?: boolean;
  bundle: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  key?: string;
  trustedRoot?: string;
  offline?: boolean;
  tufUrl?: string;
  tufRoot?: string;
  trustFallback?: string;
}

/** `sha256:<64 hex>` that is not an existing path is a digest; anything else is a file. */
export async function readArtifact(arg: string): Promise<Artifact> {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(arg);
  if (m && !existsSync(arg)) return { digest: { algorithm: 'SHA-256', value: fromHex(m[1]!)! } };
  return { bytes: await readBytes(arg, 'artifact', MAX_ARTIFACT_BYTES) };
}

export async function runVerifyBundle(artifactArg: string, o: VerifyBundleOptions): Promise<void> {
  // Loaded on use: the Sigstore verifier and its embedded root would slow every other command's start-up.
  const [{ parseBundle }, { publicKeyFromPem }, { embeddedTrustRoot, verifySigstoreBundle }, { loadTrustedRoot }] = await Promise.all([
    import('../core/bundle/index.js'),
    import('../core/crypto/index.js'),
    import('../core/sigstore/index.js'),
    import('./trust.js'),
  ]);
  const bundle = parseBundle(await readBytes(o.bundle, 'bundle', MAX_SIGNATURE_BYTES));
  const hasIdentity = o.certificateIdentity !== undefined || o.certificateOidcIssuer !== undefined;
  if (hasIdentity === (o.key !== undefined)) {
    // Neither given is a missing input; both given is a contradictory one.
    throw new ModelVerifyError(hasIdentity ? 'POLICY_INVALID' : 'INPUT_MISSING', 'Give either --certificate-identity with --certificate-oidc-issuer, or --key');
  }
  const trustWarnings: string[] = [];
  const { offline, tufUrl, tufRoot, trustFallback, trustedRoot } = o;
  const trustOptions = { offline, tufUrl, tufRoot, trustFallback, useStaging: !!o.staging && !trustedRoot, ...(trustedRoot ? { trustedRoot } : {}) };
  const trust = (await loadTrustedRoot(trustOptions, trustWarnings)) ?? embeddedTrustRoot();
  for (const w of trustWarnings) process.stderr.write(`WARNING: ${sanitize(w)}\n`);
  const artifact = await readArtifact(artifactArg);
  const who = o.key
    ? ({ kind: 'key', key: publicKeyFromPem(new TextDecoder().decode(await readBytes(o.key, 'public key'))) } as const)
    : ({ kind: 'identity', policy: { method: 'sigstore', identity: o.certificateIdentity ?? '', issuer: o.certificateOidcIssuer ?? '' } } as const);
  const { signer } = await verifySigstoreBundle(bundle, who, trust, artifact);
  const by = 'identity' in signer ? `${signer.identity} (${signer.issuer})` : 'key';
  process.stdout.write(sanitize(`OK: ${by}, log ${signer.log.url ?? ''} index ${signer.log.logIndex}`) + '\n');
}

export function registerVerifyBundle(program: Command): void {
  const cmd = program
    .command('verify-bundle')
    .description('verify a Sigstore bundle for a file or sha256:<hex> digest (Sigstore conformance protocol)')
    .option('--staging', 'use the Sigstore staging trust root', false)
    .requiredOption('--bundle <file>', 'the Sigstore bundle')
    .option('--certificate-identity <identity>', 'expected signer identity (exact SAN)')
    .option('--certificate-oidc-issuer <url>', 'expected OIDC issuer (exact)')
    .option('--key <pem>', 'verify with this public key instead of a certificate identity')
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json (default: refreshed through TUF)')
    .argument('<file-or-digest>', 'the artifact, or sha256:<64 hex> of it');
  addTrustOptions(cmd).action(async (artifact: string, o: VerifyBundleOptions) => {
    try {
      await runVerifyBundle(artifact, o);
      process.exitCode = 0;
    } catch (e) {
      const err = toModelVerifyError(e);
      process.stderr.write(`Verification failed: ${sanitize(err.message)} [${err.code}]\n`);
      process.exitCode = 1;
    }
  });
}
