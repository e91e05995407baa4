/**
 * `model-verify sign key|certificate|sigstore|pkcs11-* MODEL` and the conformance adapter `sign-model`: their
 * flags, flag-compatible with the reference (`--private_key` etc. are normalized by main.ts). What they run is
 * cli/sign-run.ts, loaded by the action.
 */
import { Command, Option } from 'commander';
import path from 'node:path';
import { toModelVerifyError } from '../core/errors.js';
import { sanitize } from './sanitize.js';
import { abortReason, recordVerdict } from './global-options.js';
import { warning } from './log.js';

/** Environment variable holding the private key passphrase (the reference's `--password` equivalent for CI). */
export const PASSWORD_ENV = 'MODEL_SIGNING_PASSWORD';

export interface SignCliOptions {
  signature: string;
  privateKey?: string;
  /** true = prompt (flag without a value); a string = the passphrase itself. */
  password?: string | boolean;
  signingCertificate?: string;
  certificateChain?: string[];
  ignorePaths?: string[];
  ignoreGitPaths: boolean;
  allowSymlinks?: boolean;
  useShards?: boolean;
  shardSize?: string;
  hash: string;
  identityToken?: string;
  trustConfig?: string;
  useStaging?: boolean;
  oauthForceOob?: boolean;
  clientId?: string;
  quiet?: boolean;
  /** RSA signature padding for `sign key|certificate` (default pkcs1v15, what the Go port writes). */
  rsaPadding?: 'pkcs1v15' | 'pss';
  /** `sign pkcs11-key|pkcs11-certificate` (cli/pkcs11.ts). */
  pkcs11Uri?: string;
  modulePath?: string;
  /** RFC 3161 timestamp authority for key and certificate signatures (the Go port's --tsa-url). */
  tsaUrl?: string;
}

/** Environment variable with an OIDC token for CI (as sigstore-python and cosign read it). */
export const TOKEN_ENV = 'SIGSTORE_ID_TOKEN';

const runSign: typeof import('./sign-run.js').runSign = async (...args) => (await import('./sign-run.js')).runSign(...args);

const collect = (v: string, prev: string[] = []) => [...prev, v];

function report(e: unknown): void {
  const err = toModelVerifyError(abortReason(e), 'SIGN_FAILED'); // a --timeout's TIMEOUT, whatever step noticed it
  recordVerdict({ verified: false, code: err.code });
  process.stderr.write(`Signing failed with error: ${sanitize(err.message)} [${err.code}]\n`);
  process.exitCode = 1;
}

export function registerSign(program: Command): void {
  const sign = program.command('sign').description('sign a model (PKI: key, certificate or sigstore)');
  for (const method of ['key', 'certificate', 'sigstore', 'pkcs11-key', 'pkcs11-certificate'] as const) {
    const cmd = sign
      .command(method)
      .argument('<model>', 'model directory or single file')
      .option('--signature <path>', 'where to write the signature (relative to the current directory)', 'model.sig')
      .option('--ignore-paths <path>', 'file or directory to leave out (repeatable; relative to the current directory)', collect)
      .option('--no-ignore-git-paths', 'also sign .git, .gitattributes, .github and .gitignore at the model root')
      .option('--allow-symlinks', 'hash symlinked files that stay inside the model', false)
      .option('--use-shards', 'serialize by shards (default shard size 1000000000 bytes)', false)
      .option('--shard-size <bytes>', 'shard size in bytes (implies --use-shards)')
      .addOption(new Option('--hash <algorithm>', 'content hash').choices(['sha256', 'blake2b', 'blake3']).default('sha256'))
      .option('-q, --quiet', 'print nothing on success', false);
    if (method === 'key' || method === 'certificate') {
      cmd
        .requiredOption('--private-key <pem>', 'private key (PEM): EC (SEC1, PKCS#8), RSA (PKCS#1, PKCS#8) or Ed25519 (PKCS#8); PKCS#8 may be encrypted')
        .option('--password [password]', `passphrase of an encrypted key (without a value: ask; or set ${PASSWORD_ENV})`)
        .addOption(new Option('--rsa-padding <padding>', 'padding of RSA signatures').choices(['pkcs1v15', 'pss']).default('pkcs1v15'));
    }
    if (method !== 'sigstore') cmd.option('--tsa-url <url>', 'RFC 3161 timestamp authority: the bundle carries its timestamp over the signature');
    if (method === 'pkcs11-key' || method === 'pkcs11-certificate') {
      cmd
        .requiredOption('--pkcs11-uri <uri>', 'PKCS#11 URI (RFC 7512) of the key: pkcs11:token=…;object=…?pin-value=…|pin-source=…&module-path=…')
        .option('--module-path <path>', 'PKCS#11 module (shared library) when the URI has no module-path');
    }
    if (method === 'key') cmd.description('sign with a private key (EC P-256/P-384/P-521, RSA 2048–4096, Ed25519)');
    if (method === 'pkcs11-key') cmd.description('sign with a key in a PKCS#11 token (HSM; EC P-256/P-384 or RSA)');
    if (method === 'certificate' || method === 'pkcs11-certificate') {
      cmd
        .description(
          method === 'certificate' ? 'sign with a private key and its X.509 certificate' : 'sign with a key in a PKCS#11 token and its X.509 certificate',
        )
        .requiredOption('--signing-certificate <pem>', 'certificate of the signing key (PEM)')
        .option('--certificate-chain <pem>', 'intermediate certificate(s) to include after it (PEM; repeatable)', collect);
    }
    if (method === 'sigstore') {
      cmd
        .description('keyless signing with Sigstore: Fulcio certificate for your OIDC identity, Rekor entry, timestamp')
        .option('--identity-token <jwt>', 'OIDC identity token (or SIGSTORE_ID_TOKEN)')
        .option('--trust-config <file>', 'a Sigstore ClientTrustConfig JSON (signing services + trusted root)')
        .option('--use-staging', 'use the Sigstore staging instance', false)
        .option('--use-ambient-credentials', 'accepted for compatibility', false)
        .option('--oauth-force-oob', 'sign in by pasting a code instead of a loopback redirect', false)
        .option('--client-id <id>', 'OAuth client id (default sigstore)')
        .option('--client-secret <secret>', 'accepted for compatibility');
    }
    cmd.action(async (model: string, o: SignCliOptions) => {
      try {
        const r = await runSign(method, model, o);
        if (!o.quiet) for (const w of r.warnings) warning(w);
        recordVerdict({ model: path.basename(path.resolve(model)), verified: true, files: r.files });
        if (!o.quiet) process.stdout.write(`Signing succeeded: ${sanitize(o.signature)} (${r.files} files, root sha256:${r.rootDigest})\n`);
      } catch (e) {
        report(e);
      }
    });
  }

  program
    .command('sign-model')
    .description('conformance adapter: sign, exit code only')
    .addOption(new Option('--method <method>').choices(['key', 'certificate', 'sigstore']).makeOptionMandatory())
    .requiredOption('--model-path <path>')
    .requiredOption('--output-bundle <path>')
    .option('--private-key <pem>')
    .option('--signing-cert <pem>')
    .option('--cert-chain <pem>', 'chain certificate (repeatable)', collect)
    .option('--ignore-paths <abs>', 'absolute path inside the model (repeatable)', collect)
    .option('--identity-token <jwt>')
    .option('--trust-config <file>', 'ClientTrustConfig for a private or test Sigstore instance')
    .option('--use-staging', '', false)
    .action(
      async (o: {
        method: 'key' | 'certificate' | 'sigstore';
        modelPath: string;
        outputBundle: string;
        privateKey?: string;
        signingCert?: string;
        certChain?: string[];
        ignorePaths?: string[];
        identityToken?: string;
        trustConfig?: string;
        useStaging?: boolean;
      }) => {
        try {
          await runSign(o.method, o.modelPath, {
            signature: o.outputBundle,
            ignoreGitPaths: true,
            hash: 'sha256',
            quiet: true,
            ...(o.privateKey ? { privateKey: o.privateKey } : {}),
            ...(o.signingCert ? { signingCertificate: o.signingCert } : {}),
            ...(o.certChain ? { certificateChain: o.certChain } : {}),
            ...(o.ignorePaths ? { ignorePaths: o.ignorePaths } : {}),
            ...(o.identityToken ? { identityToken: o.identityToken } : {}),
            ...(o.trustConfig ? { trustConfig: o.trustConfig } : {}),
            ...(o.useStaging ? { useStaging: true } : {}),
          });
        } catch (e) {
          report(e);
        }
      },
    );
}
