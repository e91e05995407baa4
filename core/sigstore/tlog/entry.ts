/** Transparency-log entries of a bundle, type-checked (int64s are protobuf-JSON strings; bytes are base64). */
import { fail } from '../../errors.js';
import { fromBase64 } from '../../util/bytes.js';
import { field, isObject, requireArray, requireObject, requireString } from '../../util/json.js';

export interface InclusionProof {
  logIndex: bigint;
  rootHash: Uint8Array;
  treeSize: bigint;
  hashes: Uint8Array[];
  checkpoint: string;
}

export interface TlogEntry {
  logIndex: bigint;
  logId: Uint8Array;
  kind: string;
  version: string;
  /** 0n when absent (Rekor v2 has no integrated time). */
  integratedTime: bigint;
  set?: Uint8Array;
  proof?: InclusionProof;
  /** canonicalizedBody, decoded. */
  body: Uint8Array;
}

const bad = (msg: string): never => fail('TLOG_INVALID', msg);

export function int64(v: unknown, what: string, optional = false): bigint {
  if ((v === undefined || v === null) && optional) return 0n;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'string' || !/^(0|[1-9]\d{0,18})$/.test(v)) bad(`${what} must be a non-negative integer`);
  return BigInt(v as string);
}

function b64(v: unknown, what: string): Uint8Array {
  return fromBase64(v, what, 'TLOG_INVALID');
}

export function parseTlogEntry(raw: unknown, i: number): TlogEntry {
  const w = `tlogEntries[${i}]`;
  const e = requireObject(raw, w, 'TLOG_INVALID');
  const kv = requireObject(field(e, 'kindVersion'), `${w}.kindVersion`, 'TLOG_INVALID');
  const entry: TlogEntry = {
    logIndex: int64(field(e, 'logIndex'), `${w}.logIndex`),
    logId: b64(field(requireObject(field(e, 'logId'), `${w}.logId`, 'TLOG_INVALID'), 'keyId'), `${w}.logId.keyId`),
    kind: requireString(kv.kind, `${w}.kindVersion.kind`, 'TLOG_INVALID'),
    version: requireString(kv.version, `${w}.kindVersion.version`, 'TLOG_INVALID'),
    integratedTime: int64(field(e, 'integratedTime'), `${w}.integratedTime`, true),
    body: b64(field(e, 'canonicalizedBody'), `${w}.canonicalizedBody`),
  };
  const promise = field(e, 'inclusionPromise');
  if (isObject(promise)) entry.set = b64(field(promise, 'signedEntryTimestamp'), `${w}.inclusionPromise.signedEntryTimestamp`);
  const proof = field(e, 'inclusionProof');
  if (isObject(proof)) {
    const cp = field(proof, 'checkpoint');
    const env = isObject(cp) ? cp.envelope : undefined;
    entry.proof = {
      logIndex: int64(field(proof, 'logIndex'), `${w}.inclusionProof.logIndex`),
      rootHash: b64(field(proof, 'rootHash'), `${w}.inclusionProof.rootHash`),
      treeSize: int64(field(proof, 'treeSize'), `${w}.inclusionProof.treeSize`),
      hashes: requireArray(proof.hashes ?? [], `${w}.inclusionProof.hashes`, 'TLOG_INVALID').map((h, j) => b64(h, `${w}.inclusionProof.hashes[${j}]`)),
      checkpoint: typeof env === 'string' ? env : bad(`${w}.inclusionProof has no checkpoint`),
    };
  } else if (proof !== undefined && proof !== null) {
    bad(`${w}.inclusionProof must be an object`);
  }
  return entry;
}
