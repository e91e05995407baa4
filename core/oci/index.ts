/** Entry to core/oci/: OCI image manifests as models (the Go port's manifest signatures). */
export {
  parseImageManifest,
  looksLikeImageManifest,
  checkTitle,
  MAX_MANIFEST_BYTES,
  MAX_LAYERS,
  DIGEST_RE,
  OCI_MANIFEST_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  DOCKER_LIST_MEDIA_TYPE,
  TITLE_ANNOTATION,
  type Descriptor,
  type ImageManifest,
} from './image-manifest.js';
export { namedLayers, ociResources, goIgnoreMatcher, layerFallbackName, CONFIG_NAME, type NamedLayer } from './resources.js';
export {
  buildOciManifestPayload,
  signOciManifest,
  verifyOciManifest,
  modelNameFromManifestPath,
  DIGESTS_FROM_MANIFEST,
  type OciManifestSignOptions,
  type OciManifestVerifyOptions,
} from './manifest-signature.js';
