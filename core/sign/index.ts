/** Public signing API of the core (web-standard: browsers, workerd, Node). */
export { readPrivateKey, signingKeyFromPair, externalSigningKey, type SigningKey, type PrivateKeyOptions, type RsaPadding } from './private-key.js';
export { generateSigningKey, type GeneratedKey } from './generate.js';
export { keySigner, certificateSigner, withTimestamp, type BundleSigner, type EnvelopeJson } from './signers.js';
export { signModel, signPayload, buildModelPayload, DEFAULT_SHARD_SIZE, type SignOptions, type SignResult } from './sign-model.js';
export { buildStatement, statementPayload } from './statement.js';
export * from './keyless/index.js';
export {
  authorizationRequest,
  discover,
  exchangeCode,
  pollDeviceToken,
  startDeviceFlow,
  type AuthorizationRequest,
  type DeviceAuthorization,
  type OidcEndpoints,
} from './keyless/oauth.js';
export { type Fetch } from './keyless/http.js';
export { type TokenClaims, readToken } from './keyless/token.js';
export { refusal, type AllowEntry, allowList } from './keyless/allow.js';
export { keylessSigner } from './keyless/signer.js';
export { servicesFromConfig, PUBLIC_GOOD, type SigningServices } from './keyless/services.js';
