/**
 * OCI image manifests (image-spec manifest.md; Docker schema 2 is the same shape), read strictly: a manifest is
 * hostile input (a file someone hands us, or a registry's answer). Size, media types, digest syntax, layer count
 * and layer titles (they become model paths) are all checked before anything uses them.
 */
import { fail } from '../errors.js';
import { utf8Decode } from '../util/bytes.js';
import { clip, describeValue, isObject, parseJson, type JsonObject } from '../util/json.js';

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** ORAS and the image spec name a layer's file with this annotation. */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** The distribution spec has registries accept manifests up to 4 MiB; nothing larger is a manifest we read. */
export const MAX_MANIFEST_BYTES = 4 << 20;
/** More layers than any image or artifact has (a 4 MiB manifest fits ~20k): a bound on every per-layer loop. */
export const MAX_LAYERS = 10_000;
const MAX_TITLE_CHARS = 4096;
const MAX_MEDIA_TYPE_CHARS = 255;

/** `sha256:` and 64 lowercase hex digits: the only digest form we accept (the Go port also takes sha384/512, blake2b). */
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

function bad(message: string): never {
  fail('OCI_MANIFEST_INVALID', `Invalid OCI image manifest: ${message}`);
}

function annotations(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) bad(`${what} annotations must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') bad(`${what} annotation '${clip(k)}' must be a string, got ${describeValue(s)}`);
    out[k] = s;
  }
  return out;
}

function descriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) bad(`${what} must be an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0 || mediaType.length > MAX_MEDIA_TYPE_CHARS) bad(`${what} has no valid mediaType`);
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) bad(`${what} digest must be sha256:<64 lowercase hex>, got ${describeValue(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(`${what} size must be a non-negative integer, got ${describeValue(size)}`);
  const ann = annotations(v.annotations, what);
  return ann ? { mediaType, digest, size, annotations: ann } : { mediaType, digest, size };
}

/**
 * True when `text` is meant as an image manifest (the Go port's rule, tightened): a JSON object with
 * schemaVersion 2 and a non-empty `layers` array. Anything else (a model's own config.json) is a plain file.
 * Only a cheap shape test: parseImageManifest does the strict reading.
 */
export function looksLikeImageManifest(bytes: Uint8Array): boolean {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) return false;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return false;
  }
  return isObject(v) && v.schemaVersion === 2 && Array.isArray(v.layers) && v.layers.length > 0;
}

/** Reads an image manifest strictly (see the file comment); every problem is OCI_MANIFEST_INVALID. */
export function parseImageManifest(bytes: Uint8Array): ImageManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) bad(`${bytes.byteLength} bytes is more than the ${MAX_MANIFEST_BYTES} a manifest may have`);
  const text = utf8Decode(bytes, 'The OCI manifest', 'OCI_MANIFEST_INVALID');
  let v: unknown;
  try {
    v = parseJson(text, 'The OCI manifest', 'OCI_MANIFEST_INVALID');
  } catch (e) {
    // Duplicate keys come back as BUNDLE_AMBIGUOUS: for a manifest it is one more way of being invalid.
    fail('OCI_MANIFEST_INVALID', (e as Error).message, { cause: e });
  }
  if (!isObject(v)) bad('it is not a JSON object');
  const m: JsonObject = v;
  if (m.schemaVersion !== 2) bad(`schemaVersion must be 2, got ${describeValue(m.schemaVersion)}`);
  if (m.mediaType !== undefined) {
    if (m.mediaType === OCI_INDEX_MEDIA_TYPE || m.mediaType === DOCKER_LIST_MEDIA_TYPE || m.manifests !== undefined) {
      bad(`it is an image index (${describeValue(m.mediaType)}), not an image manifest: sign or verify one platform's manifest`);
    }
    if (m.mediaType !== OCI_MANIFEST_MEDIA_TYPE && m.mediaType !== DOCKER_MANIFEST_MEDIA_TYPE) bad(`unsupported mediaType ${describeValue(m.mediaType)}`);
  }
  const config = descriptor(m.config, 'config');
  if (!Array.isArray(m.layers) || m.layers.length === 0) bad('it has no layers');
  if (m.layers.length > MAX_LAYERS) bad(`${m.layers.length} layers is more than the ${MAX_LAYERS} accepted`);
  const layers = m.layers.map((l, i) => descriptor(l, `layer ${i}`));
  const ann = annotations(m.annotations, 'manifest');
  return {
    schemaVersion: 2,
    ...(typeof m.mediaType === 'string' ? { mediaType: m.mediaType } : {}),
    config,
    layers,
    ...(ann ? { annotations: ann } : {}),
  };
}

/**
 * A layer title is a model path: relative POSIX, no `.`/`..`/empty segments, no backslash, no control
 * characters. (The Go port takes any string; a title like `../x` or `/etc/x` would name a file outside a model
 * directory for anyone who unpacks by title, so it is refused.)
 */
export function checkTitle(title: string, index: number): void {
  const why =
    title.length > MAX_TITLE_CHARS
      ? 'is too long'
      : title.startsWith('/')
        ? 'is an absolute path'
        : title.includes('\\')
          ? 'contains a backslash'
          : /[\u0000-\u001f\u007f]/.test(title)
            ? 'contains a control character'
            : title.split('/').some((s) => s === '' || s === '.' || s === '..')
              ? "has an empty, '.' or '..' path segment"
              : /[\ud800-\udfff]/.test(title.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))
                ? 'is not valid Unicode'
                : null;
  if (why) bad(`layer ${index} title '${clip(title)}' ${why}`);
}
