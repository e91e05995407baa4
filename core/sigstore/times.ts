/**
 * Step 1: verified times. RFC 3161 timestamps over the bundle signature and Rekor integrated times backed by a
 * verified SET. An unverifiable timestamp fails hard (as sigstore-js does): it is evidence of tampering.
 */
import { fail } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { fromBase64 } from '../util/bytes.js';
import { field, isObject, requireArray } from '../util/json.js';
import type { Bundle } from '../bundle/types.js';
import type { TimeSummary } from '../verify/report.js';
import { verifyTimestamp } from './timestamp/rfc3161.js';
import { verifySet } from './tlog/set.js';
import type { TlogEntry } from './tlog/entry.js';
import type { LogKey, TrustRoot } from './trust-root.js';

export interface VerifiedTime extends TimeSummary {
  at: Date;
}

const MAX_TIMESTAMPS = 32;

export function bundleSignatureBytes(bundle: Bundle): Uint8Array {
  return bundle.content.kind === 'dsse' ? bundle.content.envelope.signatures[0]!.sig : bundle.content.messageSignature.signature;
}

export function rfc3161Tokens(bundle: Bundle): Uint8Array[] {
  const tvd = bundle.timestampVerificationData;
  if (!tvd) return [];
  const list = field(tvd, 'rfc3161Timestamps');
  if (list === undefined || list === null) return [];
  const arr = requireArray(list, 'timestampVerificationData.rfc3161Timestamps', 'TIMESTAMP_INVALID');
  if (arr.length > MAX_TIMESTAMPS) fail('TIMESTAMP_INVALID', `More than ${MAX_TIMESTAMPS} timestamps`);
  return arr.map((t, i) => fromBase64(isObject(t) ? field(t, 'signedTimestamp') : undefined, `rfc3161Timestamps[${i}]`, 'TIMESTAMP_INVALID'));
}

/** Returns the verified times, and the log that signed each entry's SET (by entry index). */
export async function verifiedTimes(bundle: Bundle, entries: TlogEntry[], trust: TrustRoot): Promise<{ times: VerifiedTime[]; setLogs: Map<number, LogKey> }> {
  const times: VerifiedTime[] = [];
  const seen = new Set<string>();
  const sig = bundleSignatureBytes(bundle);
  for (const token of rfc3161Tokens(bundle)) {
    const key = toHex(token);
    if (seen.has(key)) fail('TIMESTAMP_INVALID', 'The bundle carries the same timestamp twice');
    seen.add(key);
    const t = await verifyTimestamp(token, sig, trust);
    times.push({ source: 'rfc3161', at: t.time, time: t.time.toISOString(), authority: t.authority });
  }
  const setLogs = new Map<number, LogKey>();
  for (const [i, e] of entries.entries()) {
    if (!e.set) continue;
    const log = await verifySet(e, trust);
    setLogs.set(i, log);
    const at = new Date(Number(e.integratedTime) * 1000);
    const key = `tlog:${toHex(e.logId)}:${e.logIndex}`;
    if (seen.has(key)) fail('TLOG_INVALID', 'The bundle carries the same log entry twice');
    seen.add(key);
    times.push({ source: 'tlog', at, time: at.toISOString(), authority: log.baseUrl });
  }
  if (times.length === 0) {
    fail('TIMESTAMP_MISSING', 'No verified time: the bundle has neither a signed entry timestamp nor an RFC 3161 timestamp');
  }
  return { times, setLogs };
}
