/**
 * Rekor v1: upload a `dsse` 0.0.1 entry (the kind sigstore-python accepts for DSSE bundles; never `intoto`)
 * and turn the log's answer into a bundle TransparencyLogEntry (hex → base64, numbers → strings).
 * Rekor v2 (rekor-tiles): `dsseRequestV002`; the answer already is a TransparencyLogEntry.
 */
import { fail } from '../../errors.js';
import { fromHex, toBase64, utf8Encode } from '../../util/bytes.js';
import { isObject, type JsonObject } from '../../util/json.js';
import type { EnvelopeJson } from '../signers.js';
import { postJson, type Fetch } from './http.js';

function num(v: unknown, what: string): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('SIGN_FAILED', `Rekor response: ${what} is not a non-negative integer`);
  return String(v);
}

function hexToB64(v: unknown, what: string): string {
  const b = typeof v === 'string' ? fromHex(v) : null;
  if (!b) fail('SIGN_FAILED', `Rekor response: ${what} is not hex`);
  return toBase64(b);
}

export async function uploadDsse(f: Fetch, rekorUrl: string, envelope: EnvelopeJson, certPem: string, signal?: AbortSignal): Promise<JsonObject> {
  const proposed = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [toBase64(utf8Encode(certPem))] } },
  };
  const res = await postJson(f, `${rekorUrl}/api/v1/log/entries`, proposed, 'Rekor', signal);
  if (!isObject(res) || Object.keys(res).length !== 1) fail('SIGN_FAILED', 'Rekor returned no log entry');
  const e = Object.values(res)[0];
  if (!isObject(e) || typeof e.body !== 'string') fail('SIGN_FAILED', 'Rekor returned a malformed log entry');
  const v = isObject(e.verification) ? e.verification : {};
  const proof = isObject(v.inclusionProof) ? v.inclusionProof : undefined;
  if (typeof v.signedEntryTimestamp !== 'string') fail('SIGN_FAILED', 'Rekor returned no signed entry timestamp');
  if (!proof || !isObject(proof) || typeof proof.checkpoint !== 'string' || !Array.isArray(proof.hashes))
    fail('SIGN_FAILED', 'Rekor returned no inclusion proof');
  return {
    logIndex: num(e.logIndex, 'logIndex'),
    logId: { keyId: hexToB64(e.logID, 'logID') },
    kindVersion: { kind: 'dsse', version: '0.0.1' },
    integratedTime: num(e.integratedTime, 'integratedTime'),
    inclusionPromise: { signedEntryTimestamp: v.signedEntryTimestamp },
    inclusionProof: {
      logIndex: num(proof.logIndex, 'inclusionProof.logIndex'),
      rootHash: hexToB64(proof.rootHash, 'rootHash'),
      treeSize: num(proof.treeSize, 'treeSize'),
      hashes: proof.hashes.map((h, i) => hexToB64(h, `hashes[${i}]`)),
      checkpoint: { envelope: proof.checkpoint },
    },
    canonicalizedBody: e.body,
  };
}

/** Rekor v2: the certificate is sent as DER with its key details; the log answers with a TransparencyLogEntry. */
export async function uploadDsseV2(f: Fetch, rekorUrl: string, envelope: EnvelopeJson, leafDer: Uint8Array, signal?: AbortSignal): Promise<JsonObject> {
  const res = await postJson(
    f,
    `${rekorUrl}/api/v2/log/entries`,
    { dsseRequestV002: { envelope, verifiers: [{ x509Certificate: { rawBytes: toBase64(leafDer) }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }] } },
    'Rekor v2',
    signal,
  );
  if (!isObject(res) || typeof res.canonicalizedBody !== 'string' || !isObject(res.inclusionProof) || !isObject(res.kindVersion)) {
    fail('SIGN_FAILED', 'Rekor v2 returned no transparency log entry with an inclusion proof');
  }
  if (res.kindVersion.kind !== 'dsse' || res.kindVersion.version !== '0.0.2')
    fail('SIGN_FAILED', 'Rekor v2 logged the envelope under an unexpected entry type');
  return res;
}
