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
import { ModelVerifyError } from '../core/index.js';
import type { ModelSource } from '../core/serialize/index.js';
import { fetchBytes, HttpSource } from '../core/sources/index.js';
import type { Manifest } from '../core/manifest/index.js';
import type { VerificationReport } from '../core/verify/index.js';
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

/** Signed-digest vs. the remote's own recorded digests, checked before any byte is fetched (see hf-source.ts). */
export interface RemotePrecheck {
  /** Null when the remote records nothing comparable; the message lines otherwise. */
  run(manifest: Manifest, report: VerificationReport): { ok: boolean; errors: { resource: string; message: string }[] } | null;
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
  /** The remote's own digest claim, compared before downloading (optional). */
  precheck?: RemotePrecheck;
}

export interface OpenContext {
  /** Environment (HF_ENDPOINT, HF_TOKEN); process.env in the CLI. */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface ModelOpener {
  kind: string;
  matches(spec: string): boolean;
  open(spec: string, ctx: OpenContext): Promise<OpenedModel>;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** `--signature URL` (any source): fetched, at most the bundle cap. No credentials are sent to it. */
function urlSignature(url: string): SignatureRef {
  return { where: url, read: () => fetchBytes(url, 'signature', { maxBytes: MAX_BUNDLE_BYTES }) };
}

function fileSignature(p: string, inModel?: string): SignatureRef {
  return { where: p, ...(inModel !== undefined ? { inModel } : {}), read: () => readBytes(p, 'signature', MAX_BUNDLE_BYTES) };
}

/** A local file or directory (today's behaviour: NodeSource, MODEL/model.sig by default, CWD-relative paths). */
const localOpener: ModelOpener = {
  kind: 'local',
  matches: () => true,
  async open(spec) {
    const [{ NodeSource }, { modelRelative }] = await Promise.all([import('../node/source.js'), import('./paths.js')]);
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

/** Tried in order before the local fallback. Add new kinds of location here (see the file comment). */
export const OPENERS: ModelOpener[] = [httpOpener];

/** Opens the model named by `spec` (see the file comment). */
export async function openModel(spec: string, ctx: OpenContext): Promise<OpenedModel> {
  const opener = OPENERS.find((o) => o.matches(spec)) ?? localOpener;
  return opener.open(spec, ctx);
}

/** Just the opener's kind for a spec (no I/O): shells decide e.g. whether a path is remote. */
export function modelKind(spec: string): string {
  return (OPENERS.find((o) => o.matches(spec)) ?? localOpener).kind;
}
