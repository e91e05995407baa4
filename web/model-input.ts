/**
 * Turns what a person picked (a folder, loose files, maybe the signature among them) into the ModelSource and
 * bundle bytes that core's verifyModel takes. The signed manifest is only *peeked at* to recognise a
 * single-file model; verification itself still runs entirely in core.
 */
import { parseBundle } from '../core/bundle/index.js';
import { statementToManifest } from '../core/bundle/index.js';
import { fail } from '../core/index.js';
import type { Manifest } from '../core/manifest/index.js';
import { BrowserFileSource, type PickedFile } from '../browser/file-source.js';

/** Names a signature file commonly has (the reference writes `model.sig`). */
export function looksLikeSignature(name: string): boolean {
  return /(^|\/)model\.sig$|\.sig$|\.sigstore(\.json)?$|\.bundle(\.json)?$/i.test(name);
}

export interface PreparedFiles {
  source: BrowserFileSource;
  bundle: Uint8Array;
  /** Where the signature came from, for the UI ("model.sig inside the folder"). */
  signatureName: string;
  /** Set when a folder with one signed file was recognised as a single-file model. */
  singleFile?: string;
}

async function bytesOf(b: Blob): Promise<Uint8Array> {
  return new Uint8Array(await b.arrayBuffer());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The signed manifest without checking the signature (used only to shape the source); null when unreadable. */
export async function peekManifest(bundle: Uint8Array): Promise<Manifest | null> {
  try {
    const b = parseBundle(bundle);
    if (b.content.kind !== 'dsse') return null;
    return await statementToManifest(b.content.envelope.payload);
  } catch {
    return null;
  }
}

/** The signature inside a model folder: a top-level `model.sig`, or its only top-level signature-named file. */
function signaturePath(source: BrowserFileSource): string | undefined {
  const candidates = source.paths.filter((p) => !p.includes('/') && looksLikeSignature(p));
  return candidates.includes('model.sig') ? 'model.sig' : candidates.length === 1 ? candidates[0] : undefined;
}

/** The signature prepareFiles would use from inside the picked folder, if there is one (to read it early). */
export function signatureInside(picked: readonly PickedFile[]): { file: Blob; name: string } | undefined {
  const source = BrowserFileSource.fromPicked(picked);
  const chosen = signaturePath(source);
  return chosen ? { file: source.file(chosen)!, name: `${chosen} (inside ${source.name})` } : undefined;
}

/**
 * `picked`: the model's files; `signature`: a separately picked signature, if any. Without one, a top-level
 * `model.sig` (or other signature-named file) inside the folder is used and left out of the model, as the CLI
 * does when the signature lies inside the model. `ignorePaths` are the user's extra model-relative ignores.
 */
export async function prepareFiles(picked: readonly PickedFile[], signature: File | undefined, ignorePaths: readonly string[] = []): Promise<PreparedFiles> {
  let source = BrowserFileSource.fromPicked(picked);
  let bundle: Uint8Array;
  let signatureName: string;
  if (signature) {
    bundle = await bytesOf(signature);
    signatureName = signature.name;
    // The same signature also inside the folder is not part of the model.
    const inside = source.paths.filter((p) => p !== '.' && p.slice(p.lastIndexOf('/') + 1) === signature.name && source.file(p)!.size === signature.size);
    for (const p of inside) if (sameBytes(await bytesOf(source.file(p)!), bundle)) source = source.without([p]);
  } else {
    const chosen = signaturePath(source);
    if (!chosen) fail('INPUT_MISSING', 'No signature: pick the model.sig file too, or include it in the model folder');
    bundle = await bytesOf(source.file(chosen)!);
    signatureName = `${chosen} (inside ${source.name})`;
    source = source.without([chosen]);
  }
  const result: PreparedFiles = { source, bundle, signatureName };
  const manifest = await peekManifest(bundle);
  if (manifest && manifest.resources.length > 0 && manifest.resources.every((r) => r.path === '.')) {
    const ignored = new Set(ignorePaths);
    const remaining = source.paths.filter((p) => p !== '.' && !ignored.has(p) && !ignored.has(p.split('/')[0]!));
    if (remaining.length === 1) {
      result.source = source.asSingleFile(remaining[0]!);
      result.singleFile = remaining[0]!;
    }
  }
  return result;
}
