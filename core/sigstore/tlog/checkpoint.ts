/**
 * C2SP signed notes carrying a tlog checkpoint: `origin\nsize\nbase64(root)\n[extensions\n]` + `\n` + signature
 * lines `— <name> base64(keyhint[4] ‖ signature)`. Hand-parsed: it is a line format, no library covers it.
 */
import { fail } from '../../errors.js';
import { verifyBytes } from '../../crypto/verify.js';
import { equalBytes, fromBase64, utf8Encode } from '../../util/bytes.js';
import type { LogKey } from '../trust-root.js';

export interface NoteSignature {
  name: string;
  keyHint: Uint8Array;
  signature: Uint8Array;
}

export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  extensions: string[];
  /** The signed text: everything up to and including the newline before the blank line. */
  text: Uint8Array;
  signatures: NoteSignature[];
}

const bad = (msg: string): never => fail('TLOG_CHECKPOINT_INVALID', msg);
const MAX_NOTE = 1 << 20;

export function parseCheckpoint(note: string): Checkpoint {
  if (note.length > MAX_NOTE) bad('Checkpoint is too large');
  const sep = note.indexOf('\n\n');
  if (sep === -1) bad('Checkpoint has no signature block');
  const body = note.slice(0, sep + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) bad('Checkpoint must have an origin, a tree size and a root hash');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') bad('Checkpoint origin is empty');
  if (!/^(0|[1-9]\d{0,19})$/.test(sizeText)) bad('Checkpoint tree size is not a decimal number');
  const rootHash = fromBase64(rootText, 'Checkpoint root hash', 'TLOG_CHECKPOINT_INVALID');
  if (rootHash.length !== 32) bad('Checkpoint root hash is not 32 bytes');
  if (extensions.some((x) => x === '')) bad('Checkpoint has an empty line in its body');

  const sigText = note.slice(sep + 2);
  if (!sigText.endsWith('\n')) bad('Checkpoint signature block must end with a newline');
  const signatures: NoteSignature[] = [];
  for (const line of sigText.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) bad('Checkpoint has a malformed signature line');
    const raw = fromBase64(m![2], 'Checkpoint signature', 'TLOG_CHECKPOINT_INVALID');
    if (raw.length < 5) bad('Checkpoint signature is too short');
    signatures.push({ name: m![1]!, keyHint: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  if (signatures.length === 0) bad('Checkpoint is not signed');
  return { origin, size: BigInt(sizeText), rootHash, extensions, text: utf8Encode(body), signatures };
}

/**
 * Verifies the log's own signature line (matched by key hint and signer name); cosignatures by other
 * witnesses are ignored whatever their position. The origin must name the same log.
 */
export async function verifyCheckpoint(cp: Checkpoint, log: LogKey): Promise<void> {
  const hint = (log.checkpointKeyId ?? log.logId).subarray(0, 4);
  const originHost = cp.origin.split(' ')[0];
  const ours = cp.signatures.filter((s) => equalBytes(s.keyHint, hint) && (s.name === log.host || log.baseUrl.includes(s.name)));
  if (ours.length === 0) bad(`Checkpoint carries no signature from the log ${log.host}`);
  if (originHost !== ours[0]!.name) bad(`Checkpoint origin '${cp.origin}' does not belong to the log ${log.host}`);
  for (const s of ours) {
    if (await verifyBytes(log.key, log.scheme, s.signature, cp.text)) return;
  }
  bad('The checkpoint signature is invalid');
}
