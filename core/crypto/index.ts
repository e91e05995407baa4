/** Entry to core/crypto/ for adapters and shells. */
export { type Curve, publicKeyFromPem } from './keys.js';
export { encodePem } from './pem.js';
