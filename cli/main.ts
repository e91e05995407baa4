/**
 * model-verify CLI. Flag-compatible with the reference `model_signing` (underscore spellings included),
 * plus the conformance adapter entry points `verify-model` / `sign-model`.
 */
import { Command, Option } from 'commander';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import type { Policy } from '../core/policy/index.js';
import { sanitize } from './sanitize.js';
import { registerSign } from './sign.js';
import { addExamples } from './help.js';
import type { InspectCliOptions } from './inspect.js';
import { registerVerifyBundle } from './verify-bundle.js';
import { registerDownload } from './download.js';
import { abortReason, addGlobalOptions, finishRun, hasFlags, isGlobalOption } from './global-options.js';
import { addTrustOptions } from './trust-options.js';
// What verify runs (core's verifier, the node adapter, the policy parser) is imported here, not by the actions:
// `verify` is what start-up is measured on, and the CLI bundle puts it in the one chunk every command loads anyway
// (scripts/build-cli.mjs). What other commands run (sign, inspect, trust roots, remote sources) stays lazy.
import * as verifyRunModule from './verify-run.js';
import type { VerifyCliOptions } from './verify-run.js';
/** `download` (cli/download.ts) names runVerify's type from here. */
export type { runVerify } from './verify-run.js';

// package.json is the one place the version is written; esbuild inlines just this field into the CLI bundle.
import { version as VERSION } from '../package.json';

const verifyRun = async () => verifyRunModule;

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

const collect = (v: string, prev: string[] = []) => [...prev, v];

function addCommon(cmd: Command): Command {
  return cmd
    .option('--ignore-paths <path>', 'file or directory to leave out (repeatable; relative to the current directory)', collect)
    .option('--no-ignore-git-paths', 'also hash .git, .gitattributes, .github and .gitignore at the model root')
    .option('--allow-symlinks', 'follow symlinks that stay inside the model', false);
}

/** The commands built when argv starts with their name (see commandsFor); one entry may register several. */
const TOP_LEVEL = ['verify', 'inspect', 'digest', 'verify-model', 'sign', 'sign-model', 'verify-bundle', 'download'];
const VERIFY_METHODS = ['key', 'certificate', 'sigstore'] as const;

/**
 * Which commands buildProgram builds for `argv` (normalized, see main). commander builds every command's options
 * up front, ~4 ms of a one-file `verify key` on the 2-core machine, yet parses argv with only the command it names
 * and that command's parents. So when argv starts with a command's name, only that command is built, and under
 * `verify` only the method named right after it. Anything else (no argv, `help`, a root option first, a name
 * that is no command) builds the whole tree, so help, errors and suggestions come out the same
 * (tests/cli/program-subset.test.ts compares them for every command).
 */
function commandsFor(argv: readonly string[] | undefined): (path: string) => boolean {
  const top = argv?.[0];
  if (top === undefined || !TOP_LEVEL.includes(top)) return () => true;
  const method = top === 'verify' ? VERIFY_METHODS.find((m) => m === argv![1]) : undefined;
  return (path) => {
    const [first, second] = path.split(' ');
    // `sign` and `sign-model` are registered together (cli/sign.ts).
    if (first !== top && !(first === 'sign' && top === 'sign-model')) return false;
    return second === undefined || method === undefined || second === method;
  };
}

/** The command tree; with `argv`, only the part that parsing argv can reach (commandsFor). */
export function buildProgram(argv?: readonly string[]): Command {
  const wanted = commandsFor(argv);
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
    const { runVerify, emit } = await verifyRun();
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
  if (wanted('verify')) addVerify();
  function addVerify() {
    const verify = program
      .command('verify')
      .description('verify a model against its signature (method inferred from the flags, or from the signature when none are given)')
      .argument('<model>', 'model directory or single file')
      .option('--signature <path>', SIGNATURE_HELP);
    for (const m of VERIFY_METHODS) methodOptions[m](verify);
    verifyOptions(verify).action(verifyAction('infer'));
    const DESCRIPTIONS: Record<Policy['method'], string> = {
      key: 'verify a signature made with an EC private key',
      certificate: 'verify a signature made with an X.509 certificate',
      sigstore: 'verify a keyless Sigstore signature',
    };
    for (const method of VERIFY_METHODS) {
      if (!wanted(`verify ${method}`)) continue;
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
  }

  if (wanted('inspect')) {
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
  }

  if (wanted('digest')) {
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
  }

  if (wanted('verify-model')) {
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
        const { runVerify, renderFailure } = await verifyRun();
        const report = await runVerify(
          o.method,
          o.modelPath,
          { ...o, signature: o.bundle, ignoreGitPaths: true, progress: false, ...(o.certChain ? { certificateChain: o.certChain } : {}) } as VerifyCliOptions,
          false,
        );
        if (!report.verified) process.stderr.write(renderFailure(report) + '\n');
        process.exitCode = report.verified ? 0 : 1;
      });
  }

  if (wanted('sign')) registerSign(program); // `sign key|certificate|sigstore` and the `sign-model` adapter (cli/sign.ts)
  if (wanted('verify-bundle')) registerVerifyBundle(program); // Sigstore conformance `verify-bundle` (cli/verify-bundle.ts)
  if (wanted('download'))
    registerDownload(program, {
      runVerify: async (...args) => (await verifyRun()).runVerify(...args),
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
    let args = normalizeArgv(argv);
    // --flags JSON names options of any command: the whole tree then.
    const program = buildProgram(hasFlags(args) ? undefined : args);
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
