/**
 * Sigstore bundle verification in a fixed order (as sigstore-js, plus the checks it skips):
 * times → signer (chain at verified times, SCT, KU/EKU) → log (SET, inclusion proof + checkpoint) →
 * artifact signature → log body consistency → identity policy.
 */
import type { Bundle } from '../bundle/types.js';
import { fail } from '../errors.js';
import type { PublicKeyInfo } from '../crypto/keys.js';
import { checkPolicyShape, matchIdentity, type SigstorePolicy } from '../policy/identity.js';
import { methodAdvice, bundleMethod } from '../bundle/method.js';
import { certPublicKey, parseCertificate, summarize, type Certificate, type CertSummary } from '../x509/certificate.js';
import { fulcioIdentity, type FulcioIdentity } from '../x509/fulcio.js';
import { toBase64 } from '../util/bytes.js';
import type { LogSummary, SigstoreSignerSummary, TimeSummary } from '../verify/report.js';
import { verifyArtifactSignature, type Artifact } from './signature.js';
import { verifySigningCertificate } from './signer.js';
import { verifiedTimes } from './times.js';
import { checkBody, type SignerMaterial } from './tlog/body.js';
import { parseTlogEntry, type TlogEntry } from './tlog/entry.js';
import { verifyTlogEntry } from './tlog/index.js';
import type { LogKey, TrustRoot } from './trust-root.js';

export type SignerPolicy = { kind: 'identity'; policy: SigstorePolicy } | { kind: 'key'; key: PublicKeyInfo };

/**
 * What a bundle verified against a bare public key proves: the log entry and the verified times, no identity.
 * (Only `verify-bundle`'s conformance path uses it; model reports always verify an identity.)
 */
export type SigstoreKeyEvidence = Pick<SigstoreSignerSummary, 'method' | 'log' | 'timestamps'>;

export interface BundleVerification<S extends SigstoreSignerSummary | SigstoreKeyEvidence = SigstoreSignerSummary | SigstoreKeyEvidence> {
  signer: S;
  warnings: string[];
}

const MAX_TLOG_ENTRIES = 32;

function leafOf(bundle: Bundle): Certificate {
  const m = bundle.material;
  if (m.kind === 'certificate') return parseCertificate(m.certificate, 'The signing certificate');
  if (m.kind === 'x509CertificateChain') return parseCertificate(m.certificates[0]!, 'The signing certificate');
  fail('BUNDLE_MATERIAL', `This bundle has no signing certificate. ${methodAdvice('key')}`);
}

/** Who the evidence is about: a Fulcio leaf (keyless) or a bare key (conformance `verify-bundle --key`). */
type EvidenceSigner = { kind: 'certificate'; leaf: Certificate } | { kind: 'key'; key: PublicKeyInfo };

interface Evidence {
  /** The verified path, leaf first (empty for a bare key). */
  chain: Certificate[];
  log: LogSummary;
  timestamps: TimeSummary[];
}

/**
 * The bundle's log entries, parsed; checked before anything else, as a keyless signature without one is not one.
 * `advise`: the caller expected a keyless signature, so name the method an unlogged bundle needs instead.
 */
function logEntries(bundle: Bundle, advise: boolean): TlogEntry[] {
  const rawEntries = bundle.tlogEntries;
  if (rawEntries.length === 0) {
    // Keyless signatures are always logged: without an entry this is most likely a key or certificate signature.
    const need = advise ? bundleMethod(bundle) : 'sigstore';
    fail(
      'TLOG_MISSING',
      need === 'sigstore'
        ? 'The bundle has no transparency-log entry: keyless signatures must be logged'
        : `The bundle has no transparency-log entry, so it is not a keyless signature. ${methodAdvice(need)}`,
    );
  }
  if (rawEntries.length > MAX_TLOG_ENTRIES) fail('TLOG_INVALID', 'Too many transparency-log entries');
  return rawEntries.map(parseTlogEntry);
}

/**
 * Steps 1–5: everything a bundle proves before anyone's identity policy is consulted. It takes a certificate or a
 * key, never a policy: there is no "any identity" policy anywhere, so nothing reachable from verifyModel or
 * parsePolicy can skip the identity match. verifySigstoreBundle matches the identity afterwards;
 * inspectSigstoreBundle reports the certificate's claims without matching them.
 */
async function verifyEvidence(bundle: Bundle, entries: TlogEntry[], signer: EvidenceSigner, trust: TrustRoot, artifact?: Artifact): Promise<Evidence> {
  // 1. times
  const { times, setLogs } = await verifiedTimes(bundle, entries, trust);

  // 2. signer
  let chain: Certificate[] = [];
  let key: PublicKeyInfo;
  let material: SignerMaterial;
  if (signer.kind === 'certificate') {
    chain = await verifySigningCertificate(signer.leaf, times, trust);
    key = certPublicKey(signer.leaf);
    material = { kind: 'certificate', der: signer.leaf.der };
  } else {
    key = signer.key;
    material = { kind: 'key', spki: key.spki };
  }

  // 3. log: SETs were checked with the times; now inclusion proofs and checkpoints
  const logs: LogKey[] = [];
  for (const [i, e] of entries.entries()) {
    logs.push(await verifyTlogEntry(e, bundle, bundle.version, trust, times, material, setLogs.get(i), false));
  }

  // 4. signature
  await verifyArtifactSignature(bundle, key, artifact);

  // 5. body consistency
  for (const e of entries) await checkBody(e, bundle, material);

  const first = entries[0]!;
  // Only a verified SET vouches for the top-level (global) index; otherwise report the index the proof verified.
  const index = first.set || !first.proof ? first.logIndex : first.proof.logIndex;
  const log: LogSummary = { logIndex: index.toString(), logId: toBase64(first.logId), kind: `${first.kind} ${first.version}`, url: logs[0]!.baseUrl };
  if (first.integratedTime > 0n && first.set) log.integratedTime = new Date(Number(first.integratedTime) * 1000).toISOString();
  const timestamps: TimeSummary[] = times.map(({ source, time, authority }) => (authority ? { source, time, authority } : { source, time }));
  return { chain, log, timestamps };
}

// The identity policy's result always carries the identity; typed apart so reports need no optional checks.
export async function verifySigstoreBundle(
  bundle: Bundle,
  who: Extract<SignerPolicy, { kind: 'identity' }>,
  trust: TrustRoot,
  artifact?: Artifact,
): Promise<BundleVerification<SigstoreSignerSummary>>;
export async function verifySigstoreBundle(bundle: Bundle, who: SignerPolicy, trust: TrustRoot, artifact?: Artifact): Promise<BundleVerification>;
export async function verifySigstoreBundle(bundle: Bundle, who: SignerPolicy, trust: TrustRoot, artifact?: Artifact): Promise<BundleVerification> {
  if (who.kind === 'key') {
    const { log, timestamps } = await verifyEvidence(bundle, logEntries(bundle, false), { kind: 'key', key: who.key }, trust, artifact);
    return { signer: { method: 'sigstore', log, timestamps }, warnings: [] };
  }
  checkPolicyShape(who.policy); // refuse "accept anyone" before any work
  const entries = logEntries(bundle, true);
  const leaf = leafOf(bundle);
  const { chain, log, timestamps } = await verifyEvidence(bundle, entries, { kind: 'certificate', leaf }, trust, artifact);

  // 6. policy
  const id = fulcioIdentity(leaf);
  const identity = matchIdentity(who.policy, id);
  const summaries = await Promise.all(chain.map(summarize));
  const signer: SigstoreSignerSummary = {
    method: 'sigstore',
    identity,
    // matchIdentity refuses a certificate whose issuer differs from the policy's (which is never empty).
    issuer: id.issuer ?? who.policy.issuer,
    ...(Object.keys(id.claims).length ? { claims: id.claims } : {}),
    certificate: summaries[0]!,
    chain: summaries,
    log,
    timestamps,
  };
  return { signer, warnings: [] };
}

/** What a keyless bundle claims about its signer, after every check that needs no identity policy (steps 1–5). */
export interface SigstoreClaims {
  identity: FulcioIdentity;
  certificate: CertSummary;
  chain: CertSummary[];
  log: LogSummary;
  timestamps: TimeSummary[];
}

/**
 * Steps 1–5 for the signing certificate, then its identity as claimed. For `inspectSignature` only: its result
 * is not a SigstoreSignerSummary and never enters a VerificationReport.
 */
export async function inspectSigstoreBundle(bundle: Bundle, trust: TrustRoot): Promise<SigstoreClaims> {
  const entries = logEntries(bundle, true);
  const leaf = leafOf(bundle);
  const { chain, log, timestamps } = await verifyEvidence(bundle, entries, { kind: 'certificate', leaf }, trust);
  const summaries = await Promise.all(chain.map(summarize));
  return { identity: fulcioIdentity(leaf), certificate: summaries[0]!, chain: summaries, log, timestamps };
}
