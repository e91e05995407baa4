/**
 * Signing with X.509 material: the `certificate` mode's signer and RFC 3161 timestamps over any signature. Both
 * need pkijs (certificates, CMS), so they are an entry of their own: key signing (core/sign) never loads it.
 */
export { certificateSigner } from './certificate-signer.js';
export { withTimestamp } from './timestamp.js';
