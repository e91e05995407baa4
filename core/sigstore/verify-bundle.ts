/**
 * Sigstore bundle verification in a fixed order (as sigstore-js, plus the checks it skips):
 * times → signer (chain at verified times, SCT, KU/EKU) → log (SET, inclusion proof + checkpoint) →
 * artifact signature → log body consistency → identity policy.
 */
import type { Bundle } from '../bundle/types.js';
import { fail } from '../errors.js';
import type { PublicKeyInfo } from '../crypto/keys.js';
import { checkPolicyShape, matchIdentity, type SigstorePolicy } from '../policy/identity.js';
import { certPublicKey, parseCertificate, summarize, type Certificate } from '../x509/certificate.js';
import { fulcioIdentity } from '../x509/fulcio.js';
import { toBase64 } from '../util/bytes.js';
import type { LogSummary, SigstoreSignerSummary, TimeSummary } from '../verify/report.js';
import { verifyArtifactSignature, type Artifact } from './signature.js';
import { verifySigningCertificate } from './signer.js';
import { verifiedTimes } from './times.js';
import { checkBody, type SignerMaterial } from './tlog/body.js';
import { parseTlogEntry } from './tlog/entry.js';
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
  fail('BUNDLE_MATERIAL', 'This bundle was signed with a bare public key: verify it with the key method');
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
  if (who.kind === 'identity') checkPolicyShape(who.policy); // refuse "accept anyone" before any work
  const rawEntries = bundle.tlogEntries;
  if (rawEntries.length === 0) fail('TLOG_MISSING', 'The bundle has no transparency-log entry: keyless signatures must be logged');
  if (rawEntries.length > MAX_TLOG_ENTRIES) fail('TLOG_INVALID', 'Too many transparency-log entries');
  const entries = rawEntries.map(parseTlogEntry);
  const leaf = who.kind === 'identity' ? leafOf(bundle) : undefined;

  // 1. times
  const { times, setLogs } = await verifiedTimes(bundle, entries, trust);

  // 2. signer
  let chain: Certificate[] = [];
  let key: PublicKeyInfo;
  let material: SignerMaterial;
  if (leaf) {
    chain = await verifySigningCertificate(leaf, times, trust);
    key = certPublicKey(leaf);
    material = { kind: 'certificate', der: leaf.der };
  } else {
    key = (who as { key: PublicKeyInfo }).key;
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

  // 6. policy
  const first = entries[0]!;
  // Only a verified SET vouches for the top-level (global) index; otherwise report the index the proof verified.
  const index = first.set || !first.proof ? first.logIndex : first.proof.logIndex;
  const log: LogSummary = { logIndex: index.toString(), logId: toBase64(first.logId), kind: `${first.kind} ${first.version}`, url: logs[0]!.baseUrl };
  if (first.integratedTime > 0n && first.set) log.integratedTime = new Date(Number(first.integratedTime) * 1000).toISOString();
  const timestamps: TimeSummary[] = times.map(({ source, time, authority }) => (authority ? { source, time, authority } : { source, time }));
  if (!leaf || who.kind !== 'identity') return { signer: { method: 'sigstore', log, timestamps }, warnings: [] };
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
