/**
 * `model-verify sign key|certificate|sigstore MODEL` and the conformance adapter `sign-model`.
 * Flag-compatible with the reference (`--private_key` etc. are normalized by main.ts). The signature is
 * checked by our verifier, written to a temporary file beside the target and renamed into place, so a failed
 * run never leaves a partial model.sig.
 */
import { Command, Option } from 'commander';
import { constants } from 'node:fs';
import { access, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ModelVerifyError, isModelVerifyError, toModelVerifyError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import { MAX_TRUST_ROOT_BYTES, readText } from './read-input.js';
import { sanitize } from './sanitize.js';
import { abortReason, cliPhase, recordVerdict, runHooks } from './global-options.js';
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

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ModelVerifyError('ABORTED', 'Cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The private key, asking for a passphrase (flag value, environment, or terminal prompt) only if it is encrypted. */
async function loadPrivateKey(o: SignCliOptions) {
  const { readPrivateKey } = await import('../core/sign/index.js');
  if (!o.privateKey) throw new ModelVerifyError('POLICY_INVALID', "Missing option '--private-key'");
  const pem = await readText(o.privateKey, 'private key');
  let password = typeof o.password === 'string' ? o.password : process.env[PASSWORD_ENV] || undefined;
  const rsa = o.rsaPadding ? { rsaPadding: o.rsaPadding } : {};
  try {
    return await readPrivateKey(pem, password === undefined ? rsa : { password, ...rsa });
  } catch (e) {
    const needsPrompt = isModelVerifyError(e) && e.code === 'KEY_PASSWORD' && password === undefined;
    if (!needsPrompt) throw e;
    if (!process.stdin.isTTY) {
      throw new ModelVerifyError('KEY_PASSWORD', `The private key is encrypted: set ${PASSWORD_ENV} or run in a terminal to be asked for the password`);
    }
    password = await promptHidden(`Password for ${o.privateKey}: `);
    return readPrivateKey(pem, { password, ...rsa });
  }
}

function serializationOptions(o: SignCliOptions): { hashType: HashAlgorithm; shardSize?: number } {
  const hashType = o.hash as HashAlgorithm;
  if (!['sha256', 'blake2b', 'blake3'].includes(hashType))
    throw new ModelVerifyError('SERIALIZATION_UNSUPPORTED', `Unsupported --hash '${o.hash}' (sha256, blake2b or blake3)`);
  if (o.shardSize === undefined && !o.useShards) return { hashType };
  const n = o.shardSize === undefined ? 1_000_000_000 : Number(o.shardSize);
  if (!/^[1-9][0-9]*$/.test(o.shardSize ?? '1') || !Number.isSafeInteger(n)) {
    throw new ModelVerifyError('SERIALIZATION_UNSUPPORTED', `--shard-size must be a positive whole number of bytes, got '${o.shardSize}'`);
  }
  return { hashType, shardSize: n };
}

/** Fails early (before hashing) when the signature cannot be written where asked. */
async function checkWritable(sigPath: string): Promise<void> {
  const dir = path.dirname(path.resolve(sigPath));
  const st = await stat(sigPath).catch(() => null);
  if (st?.isDirectory()) throw new ModelVerifyError('IO_ERROR', `The signature path '${sigPath}' is a directory`);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new ModelVerifyError('IO_ERROR', `Cannot write the signature: directory '${dir}' does not exist or is not writable`, { cause: e });
  }
}

/** Writes via a temporary file in the same directory and an atomic rename. */
export async function writeAtomically(target: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new ModelVerifyError('IO_ERROR', `Cannot write the signature '${target}': ${(e as Error).message}`, { cause: e });
  }
}

/** Environment variable with an OIDC token for CI (as sigstore-python and cosign read it). */
export const TOKEN_ENV = 'SIGSTORE_ID_TOKEN';

/** Keyless signer from CLI options: services and trust root from --trust-config, or the public-good instance. */
async function keylessFromOptions(o: SignCliOptions) {
  const { keylessSigner, servicesFromConfig, PUBLIC_GOOD } = await import('../core/sign/keyless/index.js');
  let services = PUBLIC_GOOD;
  let trustedRoot: unknown;
  if (o.trustConfig) {
    try {
      trustedRoot = JSON.parse(await readText(o.trustConfig, 'trust config', MAX_TRUST_ROOT_BYTES));
    } catch (e) {
      if (isModelVerifyError(e)) throw e;
      throw new ModelVerifyError('TRUST_ROOT_INVALID', `The trust config '${o.trustConfig}' is not valid JSON`, { cause: e });
    }
    services = servicesFromConfig(trustedRoot);
  } else if (o.useStaging) {
    throw new ModelVerifyError('UNSUPPORTED', 'Staging needs its trusted root, which is not bundled: pass --trust-config with a staging ClientTrustConfig');
  }
  let token = o.identityToken ?? process.env[TOKEN_ENV];
  if (!token) {
    // Sign-in needs a person at a terminal; in CI waiting for a browser would only hang.
    if (!services.oidcIssuer || !(process.stdin.isTTY || process.stderr.isTTY)) {
      throw new ModelVerifyError('POLICY_INVALID', `No identity token: pass --identity-token or set ${TOKEN_ENV} (interactive sign-in needs a terminal)`);
    }
    const { interactiveToken } = await import('./oidc-login.js');
    token = await interactiveToken(services.oidcIssuer, { ...(o.oauthForceOob ? { forceOob: true } : {}), ...(o.clientId ? { clientId: o.clientId } : {}) });
  }
  return keylessSigner({ identityToken: token, services, ...(trustedRoot !== undefined ? { trustedRoot } : {}) });
}

/** Shared by `sign <pki>` and `sign-model`. Returns the root digest on success; throws ModelVerifyError. */
export async function runSign(
  method: 'key' | 'certificate' | 'sigstore' | 'pkcs11-key' | 'pkcs11-certificate',
  modelPath: string,
  o: SignCliOptions,
): Promise<{ rootDigest: string; files: number; warnings: string[] }> {
  const [{ NodeSource }, { NodeHashPool }, { modelRelative, worthWarming }, { buildModelPayload, signPayload, keySigner, certificateSigner }] =
    await Promise.all([import('../node/source.js'), import('../node/hash-pool.js'), import('./paths.js'), import('../core/sign/index.js')]);
  const ser = serializationOptions(o);
  // An OCI image manifest (.json, schemaVersion 2, layers) is signed as one, by the Go port's rules (cli/oci-manifest.ts).
  const oci = /\.json$/i.test(modelPath) ? await (await import('./oci-manifest.js')).readOciManifestModel(modelPath) : null;
  const source = oci ? undefined : await NodeSource.open(modelPath);
  if (oci && (ser.hashType !== 'sha256' || ser.shardSize !== undefined)) {
    throw new ModelVerifyError(
      'SERIALIZATION_UNSUPPORTED',
      `'${modelPath}' is an OCI image manifest: it is signed by its layers' sha256 digests, so --hash and --use-shards/--shard-size do not apply`,
    );
  }
  await checkWritable(o.signature);
  let signer;
  if (method === 'sigstore') {
    // Fail on an expired token now; sign-in (when there is no token) and the short-lived certificate come after hashing.
    const { readToken } = await import('../core/sign/index.js');
    const token = o.identityToken ?? process.env[TOKEN_ENV];
    if (token) readToken(token);
    else if (!(process.stdin.isTTY || process.stderr.isTTY)) {
      throw new ModelVerifyError('POLICY_INVALID', `No identity token: pass --identity-token or set ${TOKEN_ENV} (interactive sign-in needs a terminal)`);
    }
  } else if (method === 'pkcs11-key' || method === 'pkcs11-certificate') {
    signer = await (await import('./pkcs11.js')).pkcs11Signer(method, o);
  } else if (method === 'key') {
    signer = keySigner(await loadPrivateKey(o));
  } else {
    if (!o.signingCertificate) throw new ModelVerifyError('POLICY_INVALID', "Missing option '--signing-certificate'");
    const leaf = await readText(o.signingCertificate, 'signing certificate');
    const chain = await Promise.all((o.certificateChain ?? []).map((c) => readText(c, 'certificate chain')));
    signer = certificateSigner(await loadPrivateKey(o), leaf, chain);
  }
  if (o.tsaUrl && signer) signer = (await import('../core/sign/index.js')).withTimestamp(signer, o.tsaUrl);
  // CWD-relative ignores and the signature itself, mapped into the model (outside → dropped, as the reference does).
  const ignorePaths: string[] = [];
  if (oci) {
    signer ??= await keylessFromOptions(o);
    const { signOciManifest } = await import('../core/oci/index.js');
    const signed = await signOciManifest(oci.bytes, oci.name, signer, { ignorePaths: o.ignorePaths ?? [] });
    await writeAtomically(o.signature, signed.bundle);
    return { rootDigest: signed.rootDigest, files: signed.resources.length, warnings: [] };
  }
  if (!source!.isFile) {
    for (const p of [...(o.ignorePaths ?? []), o.signature]) {
      const rel = modelRelative(source!, p);
      if (rel === '.') throw new ModelVerifyError('PATH_UNSAFE', `'${p}' is the model directory itself and cannot be ignored`);
      if (rel !== null) ignorePaths.push(rel);
      else if (p !== o.signature && !o.quiet) warning(`Ignore path '${p}' is outside the model and has no effect`);
    }
  }
  const backend = new NodeHashPool();
  if (worthWarming(modelPath)) backend.warm();
  let built;
  try {
    built = await buildModelPayload(source!, {
      ...ser,
      ignorePaths,
      ignoreGitPaths: o.ignoreGitPaths,
      allowSymlinks: !!o.allowSymlinks,
      backend,
      ...runHooks(),
    });
  } finally {
    await backend.close(); // workers still starting up would otherwise keep a failed run alive
  }
  signer ??= await keylessFromOptions(o);
  const bundle = await cliPhase('signing', { method }, () => signPayload(built.payload, signer, runHooks().signal));
  await writeAtomically(o.signature, bundle);
  return { rootDigest: built.manifest.rootDigest, files: new Set(built.manifest.resources.map((r) => r.path)).size, warnings: built.warnings };
}

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
