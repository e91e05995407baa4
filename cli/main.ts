/**
 * model-verify CLI. Flag-compatible with the reference `model_signing` (underscore spellings included),
 * plus the conformance adapter entry points `verify-model` / `sign-model`.
 */
import { Command, Option } from 'commander';
import path from 'node:path';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import { bundleMethod, methodAdvice, parseBundle } from '../core/bundle/index.js';
import type { Progress } from '../core/hash/index.js';
import { parsePolicy, type ParsePolicyOptions } from '../core/policy/index.js';
import type { Policy } from '../core/policy/index.js';
// Types only: core/verify is loaded on use (a static import would put all of it, X.509 included, on start-up).
import type { VerificationReport } from '../core/verify/index.js';
import { readText } from './read-input.js';
import { renderFailure, renderSuccess } from './render.js';
import { sanitize, shellWord, terminalJson } from './sanitize.js';
import { registerSign } from './sign.js';
import { addExamples } from './help.js';
import type { InspectCliOptions } from './inspect.js';
import { registerVerifyBundle } from './verify-bundle.js';
import { registerDownload } from './download.js';
import { abortReason, addGlobalOptions, cliPhase, finishRun, hasFlags, isGlobalOption, recordVerdict, runHooks } from './global-options.js';
import { warning } from './log.js';
import { addTrustOptions } from './trust-options.js';

// package.json is the one place the version is written; esbuild inlines just this field into the CLI bundle.
import { version as VERSION } from '../package.json';

/** The reference maps `_` to `-` in option names (`--public_key` == `--public-key`). */
export function normalizeArgv(argv: string[]): string[] {
  const out = argv.map((a) => {
    if (!a.startsWith('--')) return a;
    const eq = a.indexOf('=');
    const name = eq === -1 ? a : a.slice(0, eq);
    return name.replace(/_/g, '-') + (eq === -1 ? '' : a.slice(eq));
  });
  // `sign MODEL` defaults to the sigstore PKI, as in the reference. (`verify MODEL` infers it: see inferMethod.)
  if (
    out[0] === 'sign' &&
    out[1] !== undefined &&
    !['key', 'certificate', 'sigstore', 'pkcs11-key', 'pkcs11-certificate', 'help', '-h', '--help'].includes(out[1])
  ) {
    out.splice(1, 0, 'sigstore');
  }
  return out;
}

/** A progress bar on stderr, only when it is a terminal (cli-progress is loaded only then). */
async function progressBar(enabled: boolean): Promise<{ onProgress?: (p: Progress) => void; stop: () => void }> {
  if (!enabled || !process.stderr.isTTY) return { stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'hashing [{bar}] {percentage}% | {speed} MB/s | ETA {eta}s', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = Date.now();
  return {
    onProgress: (p) => {
      if (!started) {
        bar.start(p.bytesTotal, 0, { speed: '0' });
        started = true;
      } else if (p.bytesTotal !== bar.getTotal()) bar.setTotal(p.bytesTotal); // grows while a long walk still lists
      bar.update(p.bytesDone, { speed: (p.bytesDone / 1e6 / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(0) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

interface VerifyCliOptions {
  /** Absent: MODEL/model.sig when that file exists (resolveSignature). */
  signature?: string;
  publicKey?: string;
  certificateChain?: string[];
  tsaCertificateChain?: string[];
  identity?: string;
  identityProvider?: string;
  identityRegexp?: string;
  trustedRoot?: string;
  trustConfig?: string;
  useStaging?: boolean;
  offline?: boolean;
  tufUrl?: string;
  tufRoot?: string;
  trustFallback?: string;
  ignorePaths?: string[];
  ignoreGitPaths: boolean;
  ignoreUnsignedFiles?: boolean;
  /** oci://: http:// instead of https:// (local registries). */
  plainHttp?: boolean;
  allowSymlinks?: boolean;
  json?: boolean;
  progress: boolean;
  logFingerprints?: boolean;
}

/** How core's policy fields are given on this command line, so its messages name the flags to use. */
const FLAG_NAMES: ParsePolicyOptions['names'] = {
  publicKey: "option '--public-key'",
  anchors: "option '--certificate-chain'",
  timestampAuthorities: "option '--tsa-certificate-chain'",
  identity: "option '--identity'",
  identityRegexp: "option '--identity-regexp'",
  issuer: "option '--identity-provider'",
};

/**
 * Flags → the policy object core's parsePolicy reads (files are read here, only when their flag is given).
 * Only the method's own flags are mapped: the verify-model adapter accepts every flag for every method.
 */
async function buildPolicy(method: Policy['method'], o: VerifyCliOptions): Promise<Policy> {
  let input: Record<string, unknown>;
  if (method === 'key') {
    input = {
      method,
      publicKey: o.publicKey ? await readText(o.publicKey, 'public key') : undefined,
      keyName: o.publicKey ? path.basename(o.publicKey) : undefined,
    };
  } else if (method === 'certificate') {
    const chain = o.certificateChain ?? [];
    input = { method, anchors: chain.length ? await Promise.all(chain.map((c) => readText(c, 'certificate chain'))) : undefined };
    if (o.tsaCertificateChain?.length) input.timestampAuthorities = await Promise.all(o.tsaCertificateChain.map((c) => readText(c, 'TSA certificate chain')));
  } else {
    requireIdentityFlags(o);
    input = { method, issuer: o.identityProvider, identity: o.identity, identityRegexp: o.identityRegexp };
  }
  return parsePolicy(input, { names: FLAG_NAMES });
}

const given = (v: string | undefined) => v !== undefined && v.trim() !== '';

/**
 * A keyless signature is checked against the signer you expect: without one, say every flag that can name it and
 * how to find out who signed (core's own message names one missing flag at a time and no way to look).
 */
function requireIdentityFlags(o: VerifyCliOptions): void {
  const missing: string[] = [];
  if (!given(o.identity) && !given(o.identityRegexp)) missing.push("option '--identity' or option '--identity-regexp'");
  if (!given(o.identityProvider)) missing.push("option '--identity-provider'");
  if (missing.length === 0) return;
  throw new ModelVerifyError(
    'INPUT_MISSING',
    `Missing ${missing.join(' and ')}: a Sigstore signature is verified against the signer you expect. ` +
      'Pass --identity IDENTITY (exact, e.g. an e-mail address or a workflow URI) or --identity-regexp PATTERN, and --identity-provider URL (the OIDC issuer). ' +
      `To see who signed it: model-verify inspect ${shellWord(o.signature ?? 'model.sig')}`,
  );
}

/** Flags that only one method takes, by method: `verify MODEL` infers the method from them. */
const METHOD_FLAGS: Record<Policy['method'], [keyof VerifyCliOptions, string][]> = {
  key: [['publicKey', '--public-key']],
  certificate: [
    ['certificateChain', '--certificate-chain'],
    ['tsaCertificateChain', '--tsa-certificate-chain'],
    ['logFingerprints', '--log-fingerprints'],
  ],
  sigstore: [
    ['identity', '--identity'],
    ['identityRegexp', '--identity-regexp'],
    ['identityProvider', '--identity-provider'],
    ['trustedRoot', '--trusted-root'],
    ['trustConfig', '--trust-config'],
    ['useStaging', '--use-staging'],
    ['tufUrl', '--tuf-url'],
    ['tufRoot', '--tuf-root'],
    ['trustFallback', '--trust-fallback'],
  ],
};

/**
 * `verify MODEL` without a method: the flags decide (--public-key → key, --certificate-chain → certificate,
 * identity or trust-root flags → sigstore); without any, the signature itself does (see runVerify: a keyless one
 * is sigstore, as the reference's default). Flags of two methods are refused rather than guessed between. The
 * method only picks which policy the flags build: verification still needs that policy in full.
 */
export function methodFromFlags(o: VerifyCliOptions): Policy['method'] | undefined {
  const set = (k: keyof VerifyCliOptions) => o[k] !== undefined && o[k] !== false;
  const used = (Object.keys(METHOD_FLAGS) as Policy['method'][])
    .map((m) => ({ m, flags: METHOD_FLAGS[m].filter(([k]) => set(k)).map(([, f]) => f) }))
    .filter((x) => x.flags.length > 0);
  if (used.length > 1) {
    throw new ModelVerifyError(
      'POLICY_INVALID',
      `Flags of different methods given: ${used.map((u) => `${u.flags.join(', ')} (${u.m})`).join(' and ')}. Give the flags of one method, or name it: verify key|certificate|sigstore`,
    );
  }
  return used[0]?.m;
}

/** Shared by `verify <pki>` and `verify-model`: returns the report (never throws for verification failures). */
export async function runVerify(
  requested: Policy['method'] | 'infer',
  modelPath: string,
  o: VerifyCliOptions,
  showProgress: boolean,
  /** `download` (cli/download.ts) hashes through its own wrapper of the opened source. */
  hooks: { source?: (opened: import('./model-source.js').OpenedModel, bundle: Uint8Array) => import('../core/serialize/index.js').ModelSource } = {},
): Promise<VerificationReport> {
  const [{ openModel }, { NodeHashPool }, { verifyModel, failedReport }, { worthWarming }] = await Promise.all([
    import('./model-source.js'),
    import('../node/hash-pool.js'),
    import('../core/verify/index.js'),
    import('./paths.js'),
  ]);
  const started = Date.now();
  // Worker threads start while the signature is read and checked (they never keep the process alive).
  const backend = new NodeHashPool();
  if (worthWarming(modelPath)) backend.warm();
  const failReport = (e: unknown): VerificationReport => failedReport(abortReason(e), { name: path.basename(modelPath), listable: true }, Date.now() - started);
  let opened, policy, bundle: Uint8Array | undefined, trustedRoot: unknown;
  let method: Policy['method'] = requested === 'infer' ? 'sigstore' : requested;
  let signature: import('./model-source.js').SignatureRef;
  const warnings: string[] = [];
  try {
    // The model by its spec (local path, hf://, http(s)://: cli/model-source.ts) and its signature (default or --signature).
    opened = await openModel(modelPath, { env: process.env, ...(o.plainHttp ? { plainHttp: true } : {}) });
    signature = opened.signature(o.signature);
    o = { ...o, signature: signature.where };
    let fromBundle = false;
    if (requested === 'infer') {
      const byFlags = methodFromFlags(o);
      if (byFlags) method = byFlags;
      else {
        // No flag names the method: the signature does, so the error says which flags it needs.
        bundle = await signature.read();
        method = bundleMethod(parseBundle(bundle));
        fromBundle = true;
      }
    }
    try {
      policy = await buildPolicy(method, o);
    } catch (e) {
      // Nothing given and the bundle is not keyless: say what it was made with next to the flag it needs.
      const err = toModelVerifyError(e);
      if (fromBundle && method !== 'sigstore' && err.code === 'INPUT_MISSING')
        throw new ModelVerifyError(err.code, `${err.message}. ${methodAdvice(method)}`, { cause: e });
      throw e;
    }
    bundle ??= await signature.read();
    if (method === 'sigstore') {
      const { loadTrustedRoot } = await import('./trust.js');
      trustedRoot = await cliPhase(
        'trust-root',
        {},
        () => loadTrustedRoot(o, warnings),
        (r) => ({ embedded: r === undefined }),
      );
    }
  } catch (e) {
    return failReport(e);
  }
  if (opened.kind === 'local' && /\.json$/i.test(modelPath)) {
    // An OCI image manifest file (.json, schemaVersion 2, layers) is verified as one, by its digests (cli/oci-manifest.ts).
    const { verifyOciManifestFile } = await import('./oci-manifest.js');
    const ociReport = await verifyOciManifestFile(modelPath, bundle, policy, o, trustedRoot).catch((e: unknown) => failReport(e));
    if (ociReport) return ociReport;
  }
  const ignorePaths: string[] = [];
  if (signature.inModel !== undefined) ignorePaths.push(signature.inModel);
  for (const p of o.ignorePaths ?? []) {
    const rel = opened.ignorePath(p);
    if (rel !== null) ignorePaths.push(rel);
    else if (!('isFile' in opened.source && opened.source.isFile)) warnings.push(`Ignore path '${p}' is outside the model and has no effect`);
  }
  // A remote that records digests (the Hub's LFS sha256) is compared with the signature before any download.
  const { precheckRemote } = await import('./model-source.js');
  const pre = await precheckRemote(opened, bundle, policy, trustedRoot !== undefined ? { trustedRoot } : {});
  if (pre.failed) {
    const r: VerificationReport = {
      ...failReport(pre.failed.errors[0]),
      ...pre.failed,
      model: { name: opened.source.name, source: opened.location, listable: opened.source.listable },
    };
    opened.annotate?.(r);
    if (pre.claim) r.model.remoteClaim = pre.claim;
    return r;
  }
  const bar = await progressBar(showProgress);
  const report = await verifyModel(hooks.source ? hooks.source(opened, bundle) : opened.source, bundle, policy, {
    ignorePaths,
    ignoreGitPaths: o.ignoreGitPaths,
    ignoreUnsigned: !!o.ignoreUnsignedFiles,
    allowSymlinks: !!o.allowSymlinks,
    backend,
    ...runHooks(), // --timeout's signal, and the phases as log lines and spans (cli/global-options.ts)
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
  });
  bar.stop();
  report.model.source = opened.location;
  opened.annotate?.(report);
  if (pre.claim) report.model.remoteClaim = pre.claim;
  report.warnings.unshift(...warnings);
  // A failed keyless verification says which trust root it was checked against too (cli/trust.ts).
  if (method === 'sigstore' && !report.trustRoot) report.trustRoot = (await import('./trust.js')).trustInfo(trustedRoot);
  return report;
}

function emit(report: VerificationReport, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(terminalJson(report) + '\n');
  } else {
    for (const w of report.warnings) warning(w);
    if (report.verified) process.stdout.write(renderSuccess(report) + '\n');
    else process.stderr.write(renderFailure(report) + '\n');
  }
  recordVerdict({
    model: report.model.name,
    verified: report.verified,
    code: report.errors[0]?.code,
    files: report.resources.length,
    bytes: report.bytesHashed,
  });
  process.exitCode = report.verified ? 0 : 1;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function addCommon(cmd: Command): Command {
  return cmd
    .option('--ignore-paths <path>', 'file or directory to leave out (repeatable; relative to the current directory)', collect)
    .option('--no-ignore-git-paths', 'also hash .git, .gitattributes, .github and .gitignore at the model root')
    .option('--allow-symlinks', 'follow symlinks that stay inside the model', false);
}

export function buildProgram(): Command {
  const program = new Command('model-verify')
    .description('Verify (and sign) OpenSSF Model Signing signatures')
    .version(VERSION)
    .showHelpAfterError()
    // Before any command is added (they inherit it): a command's options are parsed by that command only, so
    // `verify`'s own flags (verify MODEL) can never swallow those given to `verify key|certificate|sigstore`.
    .enablePositionalOptions()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const SIGNATURE_HELP = 'the signature (default: MODEL/model.sig when it exists)';
  const methodOptions: Record<Policy['method'], (cmd: Command) => Command> = {
    key: (cmd) => cmd.option('--public-key <pem>', "the signer's public key (PEM)"),
    certificate: (cmd) =>
      cmd
        .option('--certificate-chain <pem>', 'trusted CA certificate(s) (PEM; repeatable)', collect)
        .option(
          '--tsa-certificate-chain <pem>',
          "trusted timestamp authority's chain (PEM, TSA first): check the certificate at the signature's RFC 3161 time",
          collect,
        )
        .option('--log-fingerprints', 'print certificate fingerprints', false),
    sigstore: (cmd) =>
      addTrustOptions(cmd)
        .option('--identity <id>', 'expected signer identity, exact (e-mail address, URI or username)')
        .option('--identity-provider <url>', 'expected OIDC issuer that vouched for the identity')
        .option('--identity-regexp <re>', 'anchored regular expression the identity must match (instead of or with --identity)')
        .option('--trusted-root <file>', 'a Sigstore trusted_root.json (private instances)')
        .option('--trust-config <file>', 'a Sigstore ClientTrustConfig JSON')
        .option('--use-staging', 'use the Sigstore staging trust root', false),
  };
  const verifyAction = (method: Policy['method'] | 'infer') => async (model: string, o: VerifyCliOptions) => {
    const report = await runVerify(method, model, o, o.progress && !o.json);
    if (o.logFingerprints && report.signer && report.signer.method !== 'key') {
      for (const c of report.signer.chain) process.stderr.write(`${sanitize(c.subject)}: ${c.sha256Fingerprint.replace(/(..)(?!$)/g, '$1:').toUpperCase()}\n`);
    }
    emit(report, o.json);
  };
  const verifyOptions = (cmd: Command) =>
    addCommon(cmd)
      .option('--ignore-unsigned-files', 'allow files that the signature does not cover', false)
      .option('--plain-http', 'oci:// only: speak http:// to the registry (local registries; https otherwise)', false)
      .option('--json', 'print the full verification report as JSON', false)
      .option('--no-progress', 'no progress bar');

  // `verify MODEL` takes every method's flags and infers the method (methodFromFlags); `verify key|certificate|
  // sigstore MODEL` name it. Positional options (above) keep the subcommands' flags away from `verify` itself.
  const verify = program
    .command('verify')
    .description('verify a model against its signature (method inferred from the flags, or from the signature when none are given)')
    .argument('<model>', 'model directory or single file')
    .option('--signature <path>', SIGNATURE_HELP);
  for (const m of ['key', 'certificate', 'sigstore'] as const) methodOptions[m](verify);
  verifyOptions(verify).action(verifyAction('infer'));
  const DESCRIPTIONS: Record<Policy['method'], string> = {
    key: 'verify a signature made with an EC private key',
    certificate: 'verify a signature made with an X.509 certificate',
    sigstore: 'verify a keyless Sigstore signature',
  };
  for (const method of ['key', 'certificate', 'sigstore'] as const) {
    const cmd = verify
      .command(method)
      .description(DESCRIPTIONS[method])
      .argument('<model>', 'model directory or single file')
      .option('--signature <path>', SIGNATURE_HELP);
    verifyOptions(methodOptions[method](cmd)).action(async (model: string, o: VerifyCliOptions) => {
      // `verify --signature S key MODEL`: the flag was parsed by `verify` (positional options), not by `key`, and
      // would silently be replaced by the default. Refuse it rather than verify another signature than the one named.
      const misplaced = verify.options
        .filter((opt) => !isGlobalOption(opt))
        .map((opt) => opt.attributeName())
        .filter((k) => verify.getOptionValueSource(k) === 'cli');
      if (misplaced.length) {
        const flags = verify.options.filter((opt) => misplaced.includes(opt.attributeName())).map((opt) => opt.long);
        throw new ModelVerifyError('POLICY_INVALID', `Put ${flags.join(', ')} after 'verify ${method}': options before the method are not read`);
      }
      await verifyAction(method)(model, o);
    });
  }

  const inspect = program
    .command('inspect')
    .description('show who claims to have signed (checked as far as possible without a policy) and how to verify it')
    .argument('<signature>', 'the signature file (or a model directory holding model.sig)')
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json (private instances)')
    .option('--trust-config <file>', 'a Sigstore ClientTrustConfig JSON')
    .option('--use-staging', 'use the Sigstore staging trust root', false);
  addTrustOptions(inspect)
    .option('--json', 'print the inspection as JSON', false)
    .action(async (sig: string, o: InspectCliOptions) => {
      const { runInspect } = await import('./inspect.js');
      await runInspect(sig, o);
    });

  addCommon(program.command('digest').description("print the model's root digest (files, sha256), like the reference").argument('<model>')).action(
    async (model: string, o: { ignorePaths?: string[]; ignoreGitPaths: boolean; allowSymlinks: boolean }) => {
      try {
        const { digestModel } = await import('./digest.js');
        process.stdout.write(`sha256:${await digestModel(model, o)}\n`);
      } catch (e) {
        process.stderr.write(`Computing digest failed: ${sanitize(toModelVerifyError(e).message)}\n`);
        process.exitCode = 1;
      }
    },
  );

  program
    .command('verify-model')
    .description('conformance adapter: verify, exit code only')
    .addOption(new Option('--method <method>').choices(['key', 'certificate', 'sigstore']).makeOptionMandatory())
    .requiredOption('--model-path <path>')
    .requiredOption('--bundle <path>')
    .option('--public-key <pem>')
    .option('--cert-chain <pem>', 'trust anchor (repeatable)', collect)
    .option('--ignore-paths <abs>', 'absolute path inside the model (repeatable)', collect)
    .option('--ignore-unsigned-files', '', false)
    .option('--identity <id>')
    .option('--identity-provider <url>')
    .option('--use-staging', '', false)
    .action(async (o: { method: Policy['method']; modelPath: string; bundle: string; certChain?: string[] } & Partial<VerifyCliOptions>) => {
      const report = await runVerify(
        o.method,
        o.modelPath,
        { ...o, signature: o.bundle, ignoreGitPaths: true, progress: false, ...(o.certChain ? { certificateChain: o.certChain } : {}) } as VerifyCliOptions,
        false,
      );
      if (!report.verified) process.stderr.write(renderFailure(report) + '\n');
      process.exitCode = report.verified ? 0 : 1;
    });

  registerSign(program); // `sign key|certificate|sigstore` and the `sign-model` adapter (cli/sign.ts)
  registerVerifyBundle(program); // Sigstore conformance `verify-bundle` (cli/verify-bundle.ts)
  registerDownload(program, {
    runVerify,
    options: (cmd) =>
      verifyOptions((['key', 'certificate', 'sigstore'] as const).reduce((c, m) => methodOptions[m](c), cmd.option('--signature <path>', SIGNATURE_HELP))),
  }); // cli/download.ts
  addGlobalOptions(program); // --log-level, --timeout, --flags, … on every command (cli/global-options.ts)
  addExamples(program); // last: every command above gets its examples (cli/help.ts)

  return program;
}

export async function main(argv: string[]): Promise<void> {
  let failure: unknown;
  try {
    const program = buildProgram();
    let args = normalizeArgv(argv);
    // --flags JSON → the command's own flags (cli/flags-json.ts, loaded only when used)
    if (hasFlags(args)) args = await (await import('./flags-json.js')).expandFlags(program, args);
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    failure = abortReason(e);
    const err = toModelVerifyError(failure);
    process.stderr.write(`Error: ${sanitize(err.message)}\n`);
    process.exitCode = 1;
  } finally {
    await finishRun(failure); // flushes traces, closes the log file
  }
}
