/** Entry to the web-standard TUF client (workerd, browsers); its own entry so bundles that never refresh a trust root leave it out. */
export {
  MAX_TUF_TRUSTED_ROOT_BYTES,
  readStoredTufTrustedRoot,
  refreshTufTrustedRoot,
  trustRootFromTuf,
  type TufStorage,
  type TufTrustedRoot,
} from './client.js';
