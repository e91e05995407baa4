/**
 * What `verify`, `verify-model` and `download` run once commander has parsed their flags: the policy from the
 * flags, the model and its signature, the verification and the report. Loaded by the command's action, so the
 * rest of the CLI (`sign`, `inspect`, help) does not load core's verifier, the node adapter and the policy parser.
 */
import path from 'node:path';
import { ModelVerifyError, toModelVerifyError } from '../core/errors.js';
import { bundleMethod, methodAdvice, parseBundle } from '../core/bundle/index.js';
import type { Progress } from '../core/hash/index.js';
import { parsePolicy, type ParsePolicyOptions } from '../core/policy/index.js';
import type { Policy } from '../core/policy/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { failedReport, verifyModel, type VerificationReport } from '../core/verify/index.js';
import { NodeHashPool } from '../node/hash-pool.js';
import { abortReason, recordVerdict, runHooks, cliPhase } from './global-options.js';
import { warning } from './log.js';
import { openModel, precheckRemote, type OpenedModel, type SignatureRef } from './model-source.js';
import { worthWarming } from './paths.js';
import { readText } from './read-input.js';
import type { TrustOptions } from './trust.js';
import { renderFailure, renderSuccess } from './render.js';
import { sanitize, shellWord, terminalJson } from './sanitize.js';
import { writeStdout } from './stdout.js';

/** For the `verify-model` adapter, which prints only failures. */
export { renderFailure };

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

/** The verify flags; where trust roots come from is cli/trust.ts's TrustOptions. */
export interface VerifyCliOptions extends TrustOptions {
  /** Absent: MODEL/model.sig when that file exists (resolveSignature). */
  signature?: string;
  publicKey?: string;
  certificateChain?: string[];
  tsaCertificateChain?: string[];
  identity?: string;
  identityProvider?: string;
  identityRegexp?: string;
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
  hooks: { source?: (opened: OpenedModel, bundle: Uint8Array) => ModelSource } = {},
): Promise<VerificationReport> {
  const started = Date.now();
  // Worker threads start while the signature is read and checked (they never keep the process alive).
  const backend = new NodeHashPool();
  if (worthWarming(modelPath)) backend.warm();
  const failReport = (e: unknown): VerificationReport => failedReport(abortReason(e), { name: path.basename(modelPath), listable: true }, Date.now() - started);
  let opened, policy, bundle: Uint8Array | undefined, trustedRoot: unknown;
  let method: Policy['method'] = requested === 'infer' ? 'sigstore' : requested;
  let signature: SignatureRef;
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
    // The bytes are this function's own unless a hook's source keeps them (download writes them to DEST).
    ...(hooks.source ? {} : { releaseBundle: true }),
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

export function emit(report: VerificationReport, json: boolean | undefined): void {
  if (json) {
    writeStdout(terminalJson(report) + '\n');
  } else {
    for (const w of report.warnings) warning(w);
    if (report.verified) writeStdout(renderSuccess(report) + '\n');
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
