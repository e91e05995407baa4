/**
 * Certificate path building and validation: leaf + untrusted intermediates → one of the trust anchors.
 * Signature links are checked cryptographically (names alone misclassify the reference's test PKI, whose
 * leaf has the same subject and issuer DN as its CA without being self-signed).
 */
import { fail, ModelVerifyError } from '../errors.js';
import {
  authorityKeyId,
  basicConstraints,
  issuerKey,
  keyUsage,
  sameCert,
  signedBy,
  subjectKey,
  subjectKeyId,
  unknownCriticalExtensions,
  validity,
  type Certificate,
} from './certificate.js';

const MAX_DEPTH = 8;

export interface ChainOptions {
  /** Instant at which every certificate in the path must be valid. */
  time: Date;
  /** Critical extensions the caller handles itself (e.g. Fulcio's). */
  knownCritical?: readonly string[];
}

function checkTime(c: Certificate, time: Date, role: string): void {
  const { notBefore, notAfter } = validity(c);
  if (time < notBefore) {
    fail('CERT_NOT_YET_VALID', `The ${role} certificate is not yet valid at ${time.toISOString()} (valid from ${notBefore.toISOString()})`);
  }
  if (time > notAfter) {
    fail('CERT_EXPIRED', `The ${role} certificate expired at ${notAfter.toISOString()} (checked at ${time.toISOString()})`);
  }
}

function checkCritical(c: Certificate, role: string, known: readonly string[]): void {
  const unknown = unknownCriticalExtensions(c, known);
  if (unknown.length) fail('CERT_CONSTRAINTS', `The ${role} certificate has unsupported critical extensions: ${unknown.join(', ')}`);
}

/** `issuer` may act as a CA for a path where `below` certificates sit under it (pathLen counts intermediates). */
function checkIssuer(c: Certificate, below: number): void {
  const bc = basicConstraints(c);
  if (!bc?.ca) fail('CERT_CONSTRAINTS', 'An issuing certificate in the chain is not a CA (basicConstraints cA is not set)');
  if (bc.pathLen !== undefined && below > bc.pathLen) fail('CERT_CONSTRAINTS', 'The chain is longer than a CA certificate allows (pathLenConstraint)');
  const ku = keyUsage(c);
  if (ku && !ku.keyCertSign) fail('CERT_CONSTRAINTS', 'An issuing certificate in the chain may not sign certificates (keyUsage keyCertSign missing)');
}

/**
 * Returns the path [leaf, …, anchor]. Anchors are trusted as given (RFC 5280 trust anchors; they need not
 * be self-signed), but their validity period and CA constraints still apply.
 */
export async function buildChain(leaf: Certificate, intermediates: readonly Certificate[], anchors: readonly Certificate[], opts: ChainOptions): Promise<Certificate[]> {
  const known = opts.knownCritical ?? [];
  checkTime(leaf, opts.time, 'signing');
  checkCritical(leaf, 'signing', known);
  if (anchors.some((a) => sameCert(a, leaf))) return [leaf];

  let firstError: ModelVerifyError | undefined;
  const candidates = [...anchors.map((c) => ({ c, anchor: true })), ...intermediates.map((c) => ({ c, anchor: false }))];

  const search = async (path: Certificate[]): Promise<Certificate[] | null> => {
    const child = path[path.length - 1]!;
    if (path.length > MAX_DEPTH) return null;
    const wantedName = issuerKey(child);
    const aki = authorityKeyId(child);
    for (const { c, anchor } of candidates) {
      if (path.some((p) => sameCert(p, c))) continue;
      if (subjectKey(c) !== wantedName) continue;
      const ski = subjectKeyId(c);
      if (aki && ski && aki !== ski) continue;
      if (!(await signedBy(child, c))) continue;
      try {
        const role = anchor ? 'trust anchor' : 'intermediate';
        checkTime(c, opts.time, role);
        checkIssuer(c, path.length - 1);
        if (!anchor) checkCritical(c, role, known);
      } catch (e) {
        if (e instanceof ModelVerifyError) firstError ??= e;
        continue;
      }
      if (anchor) return [...path, c];
      const found = await search([...path, c]);
      if (found) return found;
    }
    return null;
  };

  const found = await search([leaf]);
  if (found) return found;
  if (firstError) throw firstError;
  fail('CERT_CHAIN_UNTRUSTED', 'The signing certificate does not chain to a trusted anchor (unable to get local issuer certificate)');
}
