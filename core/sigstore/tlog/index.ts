/**
 * Step 3: transparency-log entries. Each needs a verified SET or an inclusion proof against a signed checkpoint
 * (v0.2+ bundles: the proof is required), and its body must describe this bundle.
 */
import type { Bundle, BundleVersion } from '../../bundle/types.js';
import { fail, ModelVerifyError } from '../../errors.js';
import { equalBytes, toHex } from '../../util/bytes.js';
import { within, type LogKey, type TrustRoot } from '../trust-root.js';
import type { VerifiedTime } from '../times.js';
import { checkBody, type SignerMaterial } from './body.js';
import { parseCheckpoint, verifyCheckpoint } from './checkpoint.js';
import type { TlogEntry } from './entry.js';
import { leafHash, verifyInclusion } from './merkle.js';

export async function verifyInclusionProof(e: TlogEntry, log: LogKey): Promise<void> {
  const proof = e.proof!;
  const cp = parseCheckpoint(proof.checkpoint);
  await verifyCheckpoint(cp, log);
  if (!equalBytes(proof.rootHash, cp.rootHash) || proof.treeSize !== cp.size) {
    fail('TLOG_PROOF_INVALID', 'The inclusion proof root hash or tree size disagrees with the signed checkpoint');
  }
  await verifyInclusion(proof.logIndex, cp.size, await leafHash(e.body), proof.hashes, cp.rootHash);
}

/** The trusted log for an entry: the SET's signer, else any log with this ID valid at a verified time. */
function candidateLogs(e: TlogEntry, trust: TrustRoot, times: VerifiedTime[], setLog?: LogKey): LogKey[] {
  if (setLog) return [setLog];
  const logs = trust.tlogById(e.logId).filter((l) => times.some((t) => within(l.validFor, t.at)));
  if (logs.length === 0) fail('TLOG_INVALID', `No trusted transparency log with ID ${toHex(e.logId)} was valid at the verified times`);
  return logs;
}

export async function verifyTlogEntry(
  e: TlogEntry,
  bundle: Bundle,
  version: BundleVersion,
  trust: TrustRoot,
  times: VerifiedTime[],
  signer: SignerMaterial,
  setLog?: LogKey,
  /** The orchestrator checks bodies after the artifact signature; standalone callers leave this on. */
  withBody = true,
): Promise<LogKey> {
  if (version === '0.1' && !e.set) fail('TLOG_SET_INVALID', 'A v0.1 bundle needs a signed entry timestamp (inclusion promise)');
  if (version !== '0.1' && !e.proof) fail('TLOG_PROOF_INVALID', 'The log entry has no inclusion proof with a checkpoint');
  // Rekor v2 = hashedrekord/dsse 0.0.2 (intoto 0.0.2 is a Rekor v1 kind).
  const rekorV2 = e.version === '0.0.2' && (e.kind === 'hashedrekord' || e.kind === 'dsse');
  if (rekorV2 && !times.some((t) => t.source === 'rfc3161')) {
    fail('TIMESTAMP_MISSING', 'A Rekor v2 entry has no integrated time: the bundle needs an RFC 3161 timestamp');
  }
  // Without a SET nothing signs the top-level logIndex; a Rekor v2 log is unsharded, so it must be the proven one.
  if (rekorV2 && e.proof && e.logIndex !== e.proof.logIndex) fail('TLOG_INVALID', 'The log index disagrees with the inclusion proof');
  const logs = candidateLogs(e, trust, times, setLog);
  let log = logs[0]!;
  if (e.proof) {
    let firstError: unknown;
    let ok = false;
    for (const l of logs) {
      try {
        await verifyInclusionProof(e, l);
        log = l;
        ok = true;
        break;
      } catch (err) {
        if (!(err instanceof ModelVerifyError)) throw err;
        firstError ??= err;
      }
    }
    if (!ok) throw firstError;
  }
  if (withBody) await checkBody(e, bundle, signer);
  return log;
}
