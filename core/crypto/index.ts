/** Entry to core/crypto/ for adapters and shells. */
export { type Curve, publicKeyFromPem } from './keys.js';
export { encodePem } from './pem.js';
export { p1363ToDer } from './ecdsa-sig.js';
export { checkKeyType, keyTypeName, verifyWithKey, type KeyScheme } from './key-signature.js';
