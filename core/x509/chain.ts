/**
 * Certificate path building and validation: leaf + untrusted intermediates → one of the trust anchors.
 * Signature links are checked cryptographically (names alone misclassify the reference's test PKI, whose
 * leaf has the same subject and issuer DN as its CA without being self-signed).
 *
 * The search is depth-first with backtracking, and bounded: certificates that share one name and one key all
 * "sign" each other, so an unbounded search tries every ordering of them (issue 10: 15 look-alikes took minutes
 * of CPU per request). The bounds below make any input cost at most MAX_SIGNATURE_CHECKS signature
 * verifications and MAX_PATH_STEPS candidate examinations per call; a search that runs out is refused with
 * CERT_CHAIN_TOO_COMPLEX rather than guessed. Real chains (Fulcio, TSA, the reference PKI) need 1–3 of each.
 */
import { fail, ModelVerifyError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import {
  authorityKeyId,
  basicConstraints,
  issuerKey,
  keyUsage,
  signedBy,
  subjectKey,
  subjectKeyId,
  unknownCriticalExtensions,
  validity,
  type Certificate,
} from './certificate.js';
import { checkNameConstraints, type NameBudget } from './name-constraints.js';

/** Longest path considered, in certificates below the trust anchor (leaf included). */
export const MAX_DEPTH = 8;
/** Distinct untrusted certificates (bundle intermediates) one path search accepts. */
export const MAX_INTERMEDIATES = 32;
/**
 * Certificates (anchors and intermediates) that may carry the one subject name a certificate names as its issuer.
 * More is a look-alike flood, not a PKI: a re-keyed or cross-signed CA has two or three.
 */
export const MAX_ISSUER_CANDIDATES = 8;
/**
 * Signature verifications one path search may make, after memoising per (certificate, issuer key): a P-521 or
 * 8,192-bit RSA check costs up to ~1.6 ms on a slow core, so this keeps any input well under 50 ms. Go's
 * crypto/x509 has the same kind of cap (maxChainSignatureChecks, 100).
 */
export const MAX_SIGNATURE_CHECKS = 20;
/** Candidate issuers one path search may examine (memoised checks included): bounds the backtracking itself. */
export const MAX_PATH_STEPS = 128;

/**
 * Work done by every path search so far in this process (signature verifications as counted against
 * MAX_SIGNATURE_CHECKS, candidate examinations against MAX_PATH_STEPS). For tests and benchmarks.
 */
export const chainWork = { signatureChecks: 0, pathSteps: 0 };

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

interface Node {
  id: number;
  c: Certificate;
  anchor: boolean;
  /** The SubjectPublicKeyInfo DER as hex, computed on first use (the signature memo's key). */
  spki?: string;
}

function tooComplex(message: string): never {
  fail('CERT_CHAIN_TOO_COMPLEX', `${message}; the certificate chain is refused`);
}

/**
 * Returns the path [leaf, …, anchor]. Anchors are trusted as given (RFC 5280 trust anchors; they need not
 * be self-signed), but their validity period, CA constraints and name constraints still apply.
 */
export async function buildChain(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: readonly Certificate[],
  opts: ChainOptions,
): Promise<Certificate[]> {
  const known = opts.knownCritical ?? [];
  checkTime(leaf, opts.time, 'signing');
  checkCritical(leaf, 'signing', known);

  // One node per distinct DER: duplicates only multiply orderings. An anchor shadows an equal intermediate.
  const seen = new Map<string, Node>();
  const leafNode: Node = { id: 0, c: leaf, anchor: false };
  const derHex = (c: Certificate) => toHex(c.der);
  const leafDer = derHex(leaf);
  const nodes: Node[] = [];
  for (const [list, anchor] of [
    [anchors, true],
    [intermediates, false],
  ] as const) {
    for (const c of list) {
      const k = derHex(c);
      if (seen.has(k)) continue;
      if (k === leafDer) {
        if (anchor) return [leaf]; // the leaf itself is trusted
        continue;
      }
      const n: Node = { id: nodes.length + 1, c, anchor };
      seen.set(k, n);
      nodes.push(n);
    }
  }
  const untrusted = nodes.filter((n) => !n.anchor).length;
  if (untrusted > MAX_INTERMEDIATES) tooComplex(`The bundle carries ${untrusted} chain certificates (at most ${MAX_INTERMEDIATES} are considered)`);
  const bySubject = new Map<string, Node[]>();
  for (const n of nodes) {
    const k = subjectKey(n.c);
    const list = bySubject.get(k);
    if (list) list.push(n);
    else bySubject.set(k, [n]);
  }

  const work = { signatureChecks: 0, pathSteps: 0 };
  const nameBudget: NameBudget = { comparisons: 0 };
  // Signature results per (child, issuer key): look-alikes sharing a key cost one check, not one per copy.
  const signatures = new Map<string, Promise<boolean>>();
  // Name-constraint results per (constraining CA, certificate below): they do not depend on the rest of the path.
  const nameChecks = new Map<string, ModelVerifyError | null>();

  const spkiOf = (n: Node): string => {
    if (n.spki === undefined) {
      try {
        n.spki = toHex(new Uint8Array(n.c.cert.subjectPublicKeyInfo.toSchema().toBER(false)));
      } catch {
        n.spki = `unreadable:${n.id}`;
      }
    }
    return n.spki;
  };

  const isSignedBy = (child: Node, issuer: Node): Promise<boolean> => {
    const k = `${child.id}|${spkiOf(issuer)}`;
    let p = signatures.get(k);
    if (!p) {
      if (work.signatureChecks >= MAX_SIGNATURE_CHECKS) tooComplex(`Building the chain needs more than ${MAX_SIGNATURE_CHECKS} signature checks`);
      work.signatureChecks++;
      chainWork.signatureChecks++;
      p = signedBy(child.c, issuer.c);
      signatures.set(k, p);
    }
    return p;
  };

  /** `ca`'s name constraints over every certificate below it (the leaf always; self-issued intermediates not). */
  const checkNames = (ca: Node, path: readonly Node[]): void => {
    for (let i = 0; i < path.length; i++) {
      const below = path[i]!;
      const isLeaf = i === 0;
      if (!isLeaf && subjectKey(below.c) === issuerKey(below.c)) continue; // RFC 5280 §6.1.3 (b)
      const k = `${ca.id}|${below.id}`;
      let r = nameChecks.get(k);
      if (r === undefined) {
        try {
          checkNameConstraints(ca.c, below.c, isLeaf, isLeaf ? 'signing' : 'intermediate', nameBudget);
          r = null;
        } catch (e) {
          if (!(e instanceof ModelVerifyError) || e.code === 'CERT_CHAIN_TOO_COMPLEX') throw e;
          r = e;
        }
        nameChecks.set(k, r);
      }
      if (r) throw r;
    }
  };

  let firstError: ModelVerifyError | undefined;

  const search = async (path: Node[]): Promise<Node[] | null> => {
    const child = path[path.length - 1]!;
    if (path.length > MAX_DEPTH) return null;
    const pool = bySubject.get(issuerKey(child.c)) ?? [];
    if (pool.length > MAX_ISSUER_CANDIDATES) {
      tooComplex(`${pool.length} certificates claim the issuer name of one certificate in the chain (at most ${MAX_ISSUER_CANDIDATES} are considered)`);
    }
    const aki = authorityKeyId(child.c);
    for (const cand of pool) {
      if (path.includes(cand)) continue;
      const ski = subjectKeyId(cand.c);
      if (aki && ski && aki !== ski) continue;
      if (work.pathSteps >= MAX_PATH_STEPS) tooComplex(`Building the chain needs more than ${MAX_PATH_STEPS} steps`);
      work.pathSteps++;
      chainWork.pathSteps++;
      if (!(await isSignedBy(child, cand))) continue;
      try {
        const role = cand.anchor ? 'trust anchor' : 'intermediate';
        checkTime(cand.c, opts.time, role);
        checkIssuer(cand.c, path.length - 1);
        if (!cand.anchor) checkCritical(cand.c, role, known);
        checkNames(cand, path);
      } catch (e) {
        if (!(e instanceof ModelVerifyError) || e.code === 'CERT_CHAIN_TOO_COMPLEX') throw e;
        firstError ??= e;
        continue;
      }
      if (cand.anchor) return [...path, cand];
      const found = await search([...path, cand]);
      if (found) return found;
    }
    return null;
  };

  const found = await search([leafNode]);
  if (found) return found.map((n) => n.c);
  if (firstError) throw firstError;
  fail('CERT_CHAIN_UNTRUSTED', 'The signing certificate does not chain to a trusted anchor (unable to get local issuer certificate)');
}
