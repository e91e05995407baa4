/**
 * An image manifest as a model signing manifest, by the Go port's rules (sampras343/model-transparency-go
 * pkg/oci CreateManifestFromOCILayersWithIgnore; docs/oci.md): each layer is a file named by its
 * `org.opencontainers.image.title` (else `layer_%03d.tar.gz` by its index), digest = the layer descriptor's;
 * `config.json` = the config blob's digest; all sha256; sorted by name (Go's sort.Strings: code point order).
 */
import { fail } from '../errors.js';
import type { Resource } from '../manifest/types.js';
import { clip } from '../util/json.js';
import { checkTitle, TITLE_ANNOTATION, type Descriptor, type ImageManifest } from './image-manifest.js';

/** The config blob's resource name. */
export const CONFIG_NAME = 'config.json';

/** `layer_000.tar.gz`, `layer_001.tar.gz`, … (Go's `%03d`: more digits past 999). */
export function layerFallbackName(index: number): string {
  return `layer_${String(index).padStart(3, '0')}.tar.gz`;
}

export interface NamedLayer {
  name: string;
  /** The layer's index in the manifest (or -1 for the config blob). */
  index: number;
  descriptor: Descriptor;
}

/**
 * Every layer with its model path, and the config blob as `config.json` unless a layer carries that title (then
 * the layer wins, as in the Go port, where the layer's entry overwrites the config's). Two layers with one name
 * are refused (Go keeps the last one silently: one name, two blobs, only one of them signed).
 */
export function namedLayers(m: ImageManifest): NamedLayer[] {
  const out: NamedLayer[] = [];
  const seen = new Map<string, number>();
  m.layers.forEach((d, i) => {
    const title = d.annotations?.[TITLE_ANNOTATION];
    // An empty title is no title (Go: `layerPath == ""` → the fallback name).
    const name = title ? title : layerFallbackName(i);
    if (title) checkTitle(title, i);
    const prev = seen.get(name);
    if (prev !== undefined) fail('OCI_MANIFEST_INVALID', `Invalid OCI image manifest: layers ${prev} and ${i} are both named '${clip(name)}'`);
    seen.set(name, i);
    out.push({ name, index: i, descriptor: d });
  });
  if (!seen.has(CONFIG_NAME)) out.push({ name: CONFIG_NAME, index: -1, descriptor: m.config });
  return out.sort((a, b) => compareCodePoints(a.name, b.name));
}

/** Go's sort.Strings order (bytes of UTF-8 = code points), not UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const normalize = (p: string) => p.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * The Go port's ignore rule for manifest layers: an ignore path matches a layer by its full name, by its base
 * name, or as a directory prefix, and every ignore path also counts by its own base name
 * (`--ignore-paths x/config.json` drops `config.json`). Broader than the directory rule, on purpose: it is the
 * rule the signatures being compared were made with.
 */
export function goIgnoreMatcher(ignorePaths: readonly string[]): (name: string) => boolean {
  const set = new Set<string>();
  for (const raw of ignorePaths) {
    const p = normalize(raw);
    if (!p) continue;
    set.add(p);
    set.add(basename(p));
  }
  const prefixes = [...set];
  return (name) => set.has(name) || set.has(basename(name)) || prefixes.some((p) => name.startsWith(`${p}/`));
}

/** The manifest's resources (sha256, sorted) after the Go port's ignore rule. */
export function ociResources(m: ImageManifest, ignorePaths: readonly string[] = []): (Resource & { size: number })[] {
  const ignored = goIgnoreMatcher(ignorePaths);
  return namedLayers(m)
    .filter((l) => !ignored(l.name))
    .map((l) => ({ id: l.name, path: l.name, algorithm: 'sha256', digest: l.descriptor.digest.slice('sha256:'.length), size: l.descriptor.size }));
}
