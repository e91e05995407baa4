/** Test images built from real bytes: ORAS-style artifacts (one titled layer per file) and their manifests. */
import { createHash } from 'node:crypto';

export const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const enc = (s: string) => new TextEncoder().encode(s);

/** ORAS's empty config blob (`{}`, application/vnd.oci.empty.v1+json). */
export const EMPTY_CONFIG = enc('{}');

export interface Blob {
  digest: string;
  bytes: Uint8Array;
  mediaType: string;
  title?: string;
}

export function blob(bytes: Uint8Array | string, mediaType = 'application/octet-stream', title?: string): Blob {
  const b = typeof bytes === 'string' ? enc(bytes) : bytes;
  return { digest: sha256(b), bytes: b, mediaType, ...(title !== undefined ? { title } : {}) };
}

/** An image manifest over `layers` (titled ones carry the ORAS title annotation) and `config`. */
export function imageManifest(layers: Blob[], config: Blob = blob(EMPTY_CONFIG, 'application/vnd.oci.empty.v1+json')): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.unknown.artifact.v1',
    config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.byteLength },
    layers: layers.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.bytes.byteLength,
      ...(l.title !== undefined ? { annotations: { 'org.opencontainers.image.title': l.title } } : {}),
    })),
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
  };
}

/** The Go script's tiny model: two files, as `echo` writes them (trailing newline). */
export const TINY_MODEL: Record<string, string> = { 'model.safetensors': 'model-weights-data\n', 'tokenizer.json': 'tokenizer-config\n' };

export function orasArtifact(files: Record<string, string | Uint8Array> = TINY_MODEL): { layers: Blob[]; config: Blob; manifest: Record<string, unknown> } {
  const layers = Object.entries(files).map(([name, data]) => blob(data, 'application/octet-stream', name));
  const config = blob(EMPTY_CONFIG, 'application/vnd.oci.empty.v1+json');
  return { layers, config, manifest: imageManifest(layers, config) };
}
