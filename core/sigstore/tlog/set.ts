/** Signed entry timestamps (Rekor v1 inclusion promises): a log key's signature over canonical JSON. */
import { fail } from '../../errors.js';
import { verifyBytes } from '../../crypto/verify.js';
import { toBase64, toHex, utf8Encode } from '../../util/bytes.js';
import { within, type LogKey, type TrustRoot } from '../trust-root.js';
import type { TlogEntry } from './entry.js';

/**
 * RFC 8785 canonical form of {body, integratedTime, logID, logIndex}: keys already sorted, integers as
 * plain digits, the only string values base64/hex (nothing to escape beyond what JSON.stringify does).
 */
export function setPayload(e: TlogEntry): Uint8Array {
  return utf8Encode(
    `{"body":${JSON.stringify(toBase64(e.body))},"integratedTime":${e.integratedTime},"logID":${JSON.stringify(toHex(e.logId))},"logIndex":${e.logIndex}}`,
  );
}

/** Verifies the SET and returns the log that signed it; integratedTime is then a verified time. */
export async function verifySet(e: TlogEntry, trust: TrustRoot): Promise<LogKey> {
  if (!e.set) fail('TLOG_SET_INVALID', 'The log entry has no signed entry timestamp');
  const at = new Date(Number(e.integratedTime) * 1000);
  const logs = trust.tlogById(e.logId).filter((l) => within(l.validFor, at));
  if (logs.length === 0) fail('TLOG_SET_INVALID', `No trusted transparency log with ID ${toHex(e.logId)} was valid at ${at.toISOString()}`);
  const data = setPayload(e);
  for (const l of logs) if (await verifyBytes(l.key, l.scheme, e.set, data)) return l;
  fail('TLOG_SET_INVALID', 'The signed entry timestamp (SET) of the log entry is invalid');
}
