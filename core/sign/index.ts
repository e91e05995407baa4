/**
 * Public signing API of the core (web-standard: browsers, workerd, Node): private keys, the key signer and the
 * model's signature. Certificate signers and timestamps (core/sign/x509) and keyless Sigstore signing
 * (core/sign/keyless) are entries of their own: they need pkijs and more, ~0.9 MB that a key signature (the CLI's
 * `sign key`) would otherwise load. core/index.ts exports all three.
 */
export { readPrivateKey, signingKeyFromPair, externalSigningKey, type SigningKey, type PrivateKeyOptions, type RsaPadding } from './private-key.js';
export { generateSigningKey, type GeneratedKey } from './generate.js';
export { keySigner, type BundleSigner, type EnvelopeJson } from './signers.js';
export { signModel, signPayload, buildModelPayload, DEFAULT_SHARD_SIZE, type SignOptions, type SignResult } from './sign-model.js';
export { buildStatement, statementPayload } from './statement.js';
