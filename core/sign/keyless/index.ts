/** Keyless (Sigstore) signing: Fulcio + Rekor v1 + RFC 3161, over fetch and WebCrypto. */
export { keylessSigner, type KeylessOptions, type KeylessSigner } from './signer.js';
export { servicesFromConfig, PUBLIC_GOOD, STAGING, type SigningServices } from './services.js';
export { readToken, type TokenClaims } from './token.js';
export type { Fetch } from './http.js';
// The signing relay's allow-list of Sigstore and OIDC hosts (worker/proxy, web/proxy-fetch.ts).
export { allowList, refusal, type AllowEntry } from './allow.js';
export {
  discover,
  authorizationRequest,
  exchangeCode,
  startDeviceFlow,
  pollDeviceToken,
  OOB_REDIRECT,
  type OidcEndpoints,
  type AuthorizationRequest,
  type DeviceAuthorization,
} from './oauth.js';
