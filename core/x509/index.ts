/**
 * Entry to core/x509/ for shells: reading PEM trust anchors (the Worker checks a stored policy with it). Not part
 * of core/verify/index.ts: that barrel is what key verification loads, and it must not carry X.509 (pkijs) along.
 */
export { certificatesFromPem, type Certificate, type CertSummary } from './certificate.js';
