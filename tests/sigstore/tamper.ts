/** Tampered variants of a Sigstore bundle: one named mutation each, applied to the JSON (portable: no Buffer). */
import { fromBase64, toBase64 } from '../../core/util/bytes.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function flipB64(b64: string, byteFromEnd: number, bit = 0x01): string {
  const b = fromBase64(b64, 'fixture');
  b[b.length - byteFromEnd]! ^= bit;
  return toBase64(b);
}

function entry(j: Json): Json {
  return j.verificationMaterial.tlogEntries[0];
}

/** Mutations by name. Each returns a new bundle text, or null when the bundle lacks the part. */
export const TAMPER: Record<string, (j: Json) => Json | null> = {
  // A bit in the certificate's signature value: the leaf no longer chains to Fulcio.
  'certificate bit': (j) => ((j.verificationMaterial.certificate.rawBytes = flipB64(j.verificationMaterial.certificate.rawBytes, 3)), j),
  // A bit in the TBS (inside the SAN e-mail, 'stefanb' → 'stef`nb'): identity forged, signature broken.
  'certificate identity': (j) => {
    const b = fromBase64(j.verificationMaterial.certificate.rawBytes, 'cert');
    const i = indexOf(b, new TextEncoder().encode('stefanb@'));
    b[i + 4]! ^= 0x01;
    j.verificationMaterial.certificate.rawBytes = toBase64(b);
    return j;
  },
  SET: (j) => ((entry(j).inclusionPromise.signedEntryTimestamp = flipB64(entry(j).inclusionPromise.signedEntryTimestamp, 2)), j),
  'integrated time': (j) => ((entry(j).integratedTime = String(Number(entry(j).integratedTime) + 1)), j),
  'inclusion proof hash': (j) => ((entry(j).inclusionProof.hashes[0] = flipB64(entry(j).inclusionProof.hashes[0], 1)), j),
  'inclusion proof dropped hash': (j) => (entry(j).inclusionProof.hashes.pop(), j),
  'checkpoint signature': (j) => {
    const cp: string = entry(j).inclusionProof.checkpoint.envelope;
    const m = /(\u2014 \S+ )(\S+)\n$/.exec(cp)!;
    entry(j).inclusionProof.checkpoint.envelope = cp.slice(0, m.index) + m[1] + flipB64(m[2]!, 2) + '\n';
    return j;
  },
  'checkpoint root': (j) => {
    const lines = (entry(j).inclusionProof.checkpoint.envelope as string).split('\n');
    lines[2] = flipB64(lines[2]!, 1);
    entry(j).inclusionProof.checkpoint.envelope = lines.join('\n');
    return j;
  },
  'timestamp token': (j) => {
    const ts = j.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.[0];
    if (!ts) return null;
    ts.signedTimestamp = flipB64(ts.signedTimestamp, 3);
    return j;
  },
  'timestamp duplicated': (j) => {
    const list = j.verificationMaterial.timestampVerificationData?.rfc3161Timestamps;
    if (!list?.length) return null;
    list.push({ ...list[0] });
    return j;
  },
  'DSSE signature': (j) => ((j.dsseEnvelope.signatures[0].sig = flipB64(j.dsseEnvelope.signatures[0].sig, 1)), j),
  payload: (j) => {
    const text = new TextDecoder().decode(fromBase64(j.dsseEnvelope.payload, 'payload'));
    j.dsseEnvelope.payload = toBase64(new TextEncoder().encode(text.replace('signme-1', 'signme-X')));
    return j;
  },
  'log body': (j) => {
    const body = JSON.parse(new TextDecoder().decode(fromBase64(entry(j).canonicalizedBody, 'body')));
    body.spec.payloadHash.value = body.spec.payloadHash.value.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    entry(j).canonicalizedBody = toBase64(new TextEncoder().encode(JSON.stringify(body)));
    return j;
  },
  'tlog entry removed': (j) => ((j.verificationMaterial.tlogEntries = []), j),
};

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

export function tamper(bundle: string, name: string): string | null {
  const out = TAMPER[name]!(JSON.parse(bundle));
  return out === null ? null : JSON.stringify(out);
}
