/**
 * What `sign key|certificate|sigstore|pkcs11-*` and `sign-model` run once commander has parsed their flags (cli/sign.ts
 * registers them): the key or signer, the model's manifest, the signature (checked by our verifier), written
 * to a temporary file beside the target and renamed into place, so a failed run never leaves a partial model.sig.
 * Key signing loads core/sign only; certificates and timestamps (core/sign/x509, pkijs) and keyless signing
 * (core/sign/keyless) are loaded when their method or flag is given.
 */
import { constants } from 'node:fs';
import { access, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ModelVerifyError, isModelVerifyError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import { buildModelPayload, keySigner, readPrivateKey, signPayload, type BundleSigner, type SigningKey } from '../core/sign/index.js';
import { NodeHashPool } from '../node/hash-pool.js';
import { NodeSource } from '../node/source.js';
import { cliPhase, runHooks } from './global-options.js';
import { warning } from './log.js';
import { modelRelative, worthWarming } from './paths.js';
import { MAX_TRUST_ROOT_BYTES, readText } from './read-input.js';
import { PASSWORD_ENV, TOKEN_ENV, type SignCliOptions } from './sign.js';

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
async function loadPrivateKey(o: SignCliOptions): Promise<SigningKey> {
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
  let signer: BundleSigner | undefined;
  if (method === 'sigstore') {
    // Fail on an expired token now; sign-in (when there is no token) and the short-lived certificate come after hashing.
    const { readToken } = await import('../core/sign/keyless/index.js');
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
    const { certificateSigner } = await import('../core/sign/x509/index.js');
    signer = certificateSigner(await loadPrivateKey(o), leaf, chain);
  }
  if (o.tsaUrl && signer) signer = (await import('../core/sign/x509/index.js')).withTimestamp(signer, o.tsaUrl);
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
  return {
    rootDigest: built.manifest.rootDigest,
    files: built.manifest.files ?? new Set(built.manifest.resources.map((r) => r.path)).size,
    warnings: built.warnings,
  };
}
