/**
 * Opening a model by the spec the user typed: a local path, `hf://org/model[@revision]`, or an `http(s)://` base
 * URL. Each kind returns the ModelSource the one data path hashes, plus where its signature is found by default,
 * how `--signature` and `--ignore-paths` are read for it, and what it adds to the report.
 *
 * Extension point: a new kind of location is one more `ModelOpener` in OPENERS (e.g. `oci://`); the local path is
 * the fallback when no opener matches. Openers are tried in order; `matches` must only look at the spec's syntax.
 */
import path from 'node:path';
import { statSync } from 'node:fs';
import { MAX_BUNDLE_BYTES } from '../core/bundle/index.js';
import { ModelVerifyError } from '../core/errors.js';
import type { ModelSource } from '../core/serialize/index.js';
import type { Manifest } from '../core/manifest/index.js';
import { verifySignature, type VerificationReport } from '../core/verify/index.js';
import type { RemoteClaim } from '../core/index.js';
import type { Policy } from '../core/policy/index.js';
import { existsSync } from 'node:fs';
import { NodeSource } from '../node/source.js';
import { modelRelative } from './paths.js';
import { readBytes } from './read-input.js';
import { shellWord } from './sanitize.js';

/** What a signature is and where it was found. */
export interface SignatureRef {
  /** As shown to the user (a path, a URL, `hf://…/model.sig`). */
  where: string;
  /** Model-relative path when the signature lies inside the model: it is ignored, never hashed. */
  inModel?: string;
  read(): Promise<Uint8Array>;
}

export interface OpenedModel {
  /** Which opener produced it ('local', 'hf', 'http', …). */
  kind: string;
  source: ModelSource;
  /** For the report's `model.source`: the realpath, the pinned `hf://org/model@commit`, the URL. */
  location: string;
  /** The default signature, or the one `--signature VALUE` names (each kind reads the value its own way). */
  signature(given: string | undefined): SignatureRef;
  /** Model-relative path of an `--ignore-paths` value; null when it is outside the model (a warning). */
  ignorePath(p: string): string | null;
  /** Adds what this kind knows to the report (e.g. the resolved commit). */
  annotate?(report: VerificationReport): void;
  /** The remote's own digest claim about the signed files, compared before any byte is fetched (optional). */
  precheck?(manifest: Manifest): RemoteClaim;
}

export interface OpenContext {
  /** Environment (HF_ENDPOINT, HF_TOKEN); process.env in the CLI. */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** `--plain-http`: speak http:// to an oci:// registry (local registries only). */
  plainHttp?: boolean;
}

export interface ModelOpener {
  kind: string;
  matches(spec: string): boolean;
  open(spec: string, ctx: OpenContext): Promise<OpenedModel>;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
// Remote sources (HTTP, the Hub) load only when a spec or a signature needs them: a local verify never does.
const remoteSources = () => import('../core/sources/index.js');

/** `--signature URL` (any source): fetched, at most the bundle cap. No credentials are sent to it. */
function urlSignature(url: string): SignatureRef {
  return { where: url, read: () => remoteSources().then((m) => m.fetchBytes(url, 'signature', { maxBytes: MAX_BUNDLE_BYTES })) };
}

function fileSignature(p: string, inModel?: string): SignatureRef {
  return { where: p, ...(inModel !== undefined ? { inModel } : {}), read: () => readBytes(p, 'signature', MAX_BUNDLE_BYTES) };
}

/** A local file or directory (today's behaviour: NodeSource, MODEL/model.sig by default, CWD-relative paths). */
const localOpener: ModelOpener = {
  kind: 'local',
  matches: () => true,
  async open(spec) {
    const source = await NodeSource.open(spec);
    const rel = (p: string) => (source.isFile ? null : modelRelative(source, p));
    return {
      kind: 'local',
      source,
      location: source.root,
      ignorePath: rel,
      signature(given) {
        if (given !== undefined) return isUrl(given) ? urlSignature(given) : fileSignature(given, rel(given) ?? undefined);
        const inModel = path.join(spec, 'model.sig');
        try {
          if (statSync(spec).isDirectory() && statSync(inModel).isFile()) return fileSignature(inModel, rel(inModel) ?? undefined);
        } catch {
          /* no such file: the error below */
        }
        throw new ModelVerifyError(
          'INPUT_MISSING',
          `Missing option '--signature': there is no ${shellWord(inModel)}; pass the signature file with --signature PATH`,
        );
      },
    };
  },
};

/** An HTTP(S) base URL: not listable; the signature defaults to BASE/model.sig; ignore paths are model-relative. */
const httpOpener: ModelOpener = {
  kind: 'http',
  matches: isUrl,
  async open(spec) {
    const { HttpSource } = await remoteSources();
    const source = new HttpSource(spec);
    const dir = new URL(source.base.href.endsWith('/') ? source.base.href : `${source.base.href}/`);
    return {
      kind: 'http',
      source,
      location: source.base.href,
      ignorePath: (p) => p.replace(/^\.\//, '').replace(/\/+$/, '') || null,
      signature(given) {
        if (given === undefined) return { ...urlSignature(new URL('model.sig', dir).href), inModel: 'model.sig' };
        return isUrl(given) ? urlSignature(given) : fileSignature(given);
      },
    };
  },
};

/** A model-relative path as written for a remote repository: `./` and trailing `/` dropped, never climbing. */
function repoPath(p: string): string | null {
  const r = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return r === '' || r.split('/').some((s) => s === '..' || s === '.' || s === '') ? null : r;
}

/**
 * `hf://org/model[@revision]`: the Hub repository at the commit its revision resolves to (HF_ENDPOINT, HF_TOKEN).
 * The signature defaults to the repository's own model.sig; `--signature` is a URL, a local file that exists, or
 * else a path in the repository (read at the same commit).
 */
const hfOpener: ModelOpener = {
  kind: 'hf',
  matches: (s) => /^hf:\/\//i.test(s),
  async open(spec, ctx) {
    const { HfSource, hubPrecheck } = await remoteSources();
    const endpoint = ctx.env.HF_ENDPOINT?.trim() || undefined;
    const token = ctx.env.HF_TOKEN?.trim() || undefined;
    const source = await HfSource.open(spec, { ...(endpoint ? { endpoint } : {}), ...(token ? { token } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    const inRepo = (p: string): SignatureRef => {
      if (!source.treeFile(p)) {
        throw new ModelVerifyError(
          'INPUT_MISSING',
          `${source.pinned} has no '${p}'${p === 'model.sig' ? ': the repository holds no signature; pass --signature PATH|URL' : ' (--signature)'}`,
        );
      }
      return { where: `${source.pinned}/${p}`, inModel: p, read: () => source.readFile(p, 'signature', MAX_BUNDLE_BYTES, ctx.signal) };
    };
    return {
      kind: 'hf',
      source,
      location: source.pinned,
      ignorePath: repoPath,
      signature(given) {
        if (given === undefined) return inRepo('model.sig');
        if (isUrl(given)) return urlSignature(given);
        if (existsSync(given)) return fileSignature(given);
        const p = repoPath(given);
        if (p === null) throw new ModelVerifyError('INPUT_MISSING', `--signature '${given}' is neither a file, a URL nor a path in ${source.pinned}`);
        return inRepo(p);
      },
      annotate(report) {
        report.model.revision = { requested: source.revision, commit: source.commit };
      },
      precheck: (manifest) => hubPrecheck(source, manifest),
    };
  },
};

/**
 * `oci://registry/repository:tag|@sha256:…` (cli/oci-manifest.ts): the image pinned to its manifest digest, listed
 * as layers or a modelcar's files as the signature calls for; `--signature FILE|URL` is required; `--plain-http`
 * for local registries; OCI_USERNAME/OCI_PASSWORD or OCI_TOKEN for private ones. Ignore paths are layer or file names.
 */
const ociOpener: ModelOpener = {
  kind: 'oci',
  matches: (s) => /^oci:\/\//i.test(s),
  async open(spec, ctx) {
    const { openOci } = await import('./oci-manifest.js');
    let sig: SignatureRef | undefined;
    const { source, location } = await openOci(spec, ctx, () => {
      if (!sig) throw new ModelVerifyError('INTERNAL', 'oci:// source read before its signature was named');
      return sig.read();
    });
    return {
      kind: 'oci',
      source,
      location,
      ignorePath: repoPath,
      signature(given) {
        if (given === undefined) {
          throw new ModelVerifyError(
            'INPUT_MISSING',
            `Missing option '--signature': ${location} has no standard place for a model signature; pass --signature FILE|URL`,
          );
        }
        sig = isUrl(given) ? urlSignature(given) : fileSignature(given);
        return sig;
      },
    };
  },
};

/** Tried in order before the local fallback. Add new kinds of location here (see the file comment). */
export const OPENERS: ModelOpener[] = [hfOpener, ociOpener, httpOpener];

/**
 * The remote's claim before any download: the signature is checked (as verifyModel will again) to read its signed
 * manifest, and the remote's recorded digests are compared with it. A signature that does not verify yields no
 * claim (verifyModel reports why); a mismatch is a failed report naming every differing file, with nothing fetched.
 */
export async function precheckRemote(
  opened: OpenedModel,
  bundle: Uint8Array,
  policy: Policy,
  opts: Parameters<typeof verifySignature>[2],
): Promise<{ claim?: RemoteClaim; failed?: Pick<VerificationReport, 'signer' | 'errors'> }> {
  if (!opened.precheck) return {};
  let sig;
  try {
    sig = await verifySignature(bundle, policy, opts);
  } catch {
    return {};
  }
  const claim = opened.precheck(sig.manifest);
  if (claim.status !== 'mismatch') return { claim };
  const errors = claim.differ.map((d) => ({
    code: 'HASH_MISMATCH' as const,
    message: `Hash mismatch for '${d.name}' (before download, as the remote records it): Expected 'sha256:${d.signed}', the remote records 'sha256:${d.remote}'`,
    resource: d.name,
  }));
  errors.unshift({ code: 'HASH_MISMATCH', message: claim.summary, resource: claim.differ[0]?.name ?? '' });
  return { claim, failed: { signer: sig.signer, errors } };
}

/** Opens the model named by `spec` (see the file comment). */
export async function openModel(spec: string, ctx: OpenContext): Promise<OpenedModel> {
  const opener = OPENERS.find((o) => o.matches(spec)) ?? localOpener;
  return opener.open(spec, ctx);
}

/** Just the opener's kind for a spec (no I/O): shells decide e.g. whether a path is remote. */
export function modelKind(spec: string): string {
  return (OPENERS.find((o) => o.matches(spec)) ?? localOpener).kind;
}
