/**
 * The log entry must describe this bundle: same kind/version as declared, same signature, same payload or
 * artifact digest, same certificate or key. Otherwise a valid entry for something else could be replayed.
 */
import { pae } from '../../bundle/dsse.js';
import type { Bundle } from '../../bundle/types.js';
import { fail } from '../../errors.js';
import { decodePemAll } from '../../crypto/pem.js';
import { digest } from '../../crypto/verify.js';
import { equalBytes, fromBase64, fromHex, toHex, utf8Decode } from '../../util/bytes.js';
import { isObject, parseJson, requireArray, requireObject, type JsonObject } from '../../util/json.js';
import type { TlogEntry } from './entry.js';

/** What signed: the leaf certificate's DER or the public key's SPKI. */
export type SignerMaterial = { kind: 'certificate'; der: Uint8Array } | { kind: 'key'; spki: Uint8Array };

const bad = (msg: string): never => fail('TLOG_BODY_MISMATCH', msg);
const obj = (v: unknown, what: string): JsonObject => requireObject(v, `Log entry ${what}`, 'TLOG_BODY_MISMATCH');
const b64 = (v: unknown, what: string): Uint8Array => fromBase64(v, `Log entry ${what}`, 'TLOG_BODY_MISMATCH');

/** A verifier in a v1 body: base64 of a PEM certificate or public key. */
function matchesPemVerifier(b64Pem: unknown, signer: SignerMaterial): boolean {
  let text: string;
  try {
    text = utf8Decode(b64(b64Pem, 'verifier'), 'verifier', 'TLOG_BODY_MISMATCH');
  } catch {
    return false;
  }
  const blocks = decodePemAll(text, 'TLOG_BODY_MISMATCH');
  const want = signer.kind === 'certificate' ? signer.der : signer.spki;
  return blocks.some((b) => equalBytes(b.der, want));
}

/** A verifier in a v2 body: {x509Certificate:{rawBytes}} or {publicKey:{rawBytes}}. */
function matchesV2Verifier(v: unknown, signer: SignerMaterial): boolean {
  if (!isObject(v)) return false;
  if (signer.kind === 'certificate' && isObject(v.x509Certificate)) return equalBytes(b64(v.x509Certificate.rawBytes, 'certificate'), signer.der);
  if (signer.kind === 'key' && isObject(v.publicKey)) return equalBytes(b64(v.publicKey.rawBytes, 'public key'), signer.spki);
  return false;
}

function hexDigest(h: unknown, what: string): { algorithm: string; value: Uint8Array } {
  const o = obj(h, what);
  const value = typeof o.value === 'string' ? fromHex(o.value) : null;
  if (typeof o.algorithm !== 'string' || !value) bad(`Log entry ${what} is malformed`);
  return { algorithm: o.algorithm as string, value: value! };
}

const V2_HASH: Record<string, 'SHA-256' | 'SHA-384' | 'SHA-512'> = { SHA2_256: 'SHA-256', SHA2_384: 'SHA-384', SHA2_512: 'SHA-512' };

export async function checkBody(entry: TlogEntry, bundle: Bundle, signer: SignerMaterial): Promise<void> {
  const body = obj(parseJson(utf8Decode(entry.body, 'Log entry body', 'TLOG_BODY_MISMATCH'), 'Log entry body', 'TLOG_BODY_MISMATCH'), 'body');
  if (body.kind !== entry.kind || body.apiVersion !== entry.version) {
    bad(`Log entry body is ${String(body.kind)} ${String(body.apiVersion)} but the bundle declares ${entry.kind} ${entry.version}`);
  }
  const spec = obj(body.spec, 'spec');
  const kv = `${entry.kind}/${entry.version}`;
  const c = bundle.content;

  if (c.kind === 'dsse') {
    const env = c.envelope;
    const sig = env.signatures[0]!.sig;
    const payloadHash = await digest('SHA-256', env.payload);
    if (kv === 'dsse/0.0.1') {
      const ph = hexDigest(spec.payloadHash, 'payloadHash');
      if (ph.algorithm !== 'sha256' || !equalBytes(ph.value, payloadHash)) bad('The log entry records a different DSSE payload');
      const sigs = requireArray(spec.signatures, 'Log entry signatures', 'TLOG_BODY_MISMATCH');
      if (sigs.length !== env.signatures.length) bad('The log entry records a different number of DSSE signatures');
      const s0 = obj(sigs[0], 'signature');
      if (!equalBytes(b64(s0.signature, 'signature'), sig)) bad('The log entry records a different DSSE signature');
      if (!matchesPemVerifier(s0.verifier, signer)) bad('The log entry records a different signing certificate or key');
      return;
    }
    if (kv === 'intoto/0.0.2') {
      const content = obj(spec.content, 'content');
      const ph = hexDigest(content.payloadHash, 'payloadHash');
      if (ph.algorithm !== 'sha256' || !equalBytes(ph.value, payloadHash)) bad('The log entry records a different in-toto payload');
      const e = obj(content.envelope, 'envelope');
      const sigs = requireArray(e.signatures, 'Log entry signatures', 'TLOG_BODY_MISMATCH');
      if (sigs.length !== 1) bad('The log entry records a different number of DSSE signatures');
      const s0 = obj(sigs[0], 'signature');
      // intoto 0.0.2 stores the base64 signature base64-encoded again.
      const inner = utf8Decode(b64(s0.sig, 'signature'), 'signature', 'TLOG_BODY_MISMATCH');
      if (!equalBytes(b64(inner, 'signature'), sig)) bad('The log entry records a different DSSE signature');
      if (!matchesPemVerifier(s0.publicKey, signer)) bad('The log entry records a different signing certificate or key');
      return;
    }
    if (kv === 'dsse/0.0.2') {
      const d = obj(spec.dsseV002, 'dsseV002');
      const ph = obj(d.payloadHash, 'payloadHash');
      if (ph.algorithm !== 'SHA2_256' || !equalBytes(b64(ph.digest, 'payload digest'), payloadHash)) bad('The log entry records a different DSSE payload');
      const sigs = requireArray(d.signatures, 'Log entry signatures', 'TLOG_BODY_MISMATCH');
      if (sigs.length !== 1) bad('The log entry records a different number of DSSE signatures');
      const s0 = obj(sigs[0], 'signature');
      if (!equalBytes(b64(s0.content, 'signature'), sig)) bad('The log entry records a different DSSE signature');
      if (!matchesV2Verifier(s0.verifier, signer)) bad('The log entry records a different signing certificate or key');
      return;
    }
    if (kv === 'hashedrekord/0.0.2') {
      // Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE.
      const h = obj(obj(spec.hashedRekordV002, 'hashedRekordV002').data, 'data');
      const hash = V2_HASH[String(h.algorithm)];
      if (!hash || !equalBytes(b64(h.digest, 'digest'), await digest(hash, pae(env.payloadType, env.payload))))
        bad('The log entry records a different DSSE envelope');
      const s = obj(obj(spec.hashedRekordV002, 'hashedRekordV002').signature, 'signature');
      if (!equalBytes(b64(s.content, 'signature'), sig)) bad('The log entry records a different DSSE signature');
      if (!matchesV2Verifier(s.verifier, signer)) bad('The log entry records a different signing certificate or key');
      return;
    }
    fail('TLOG_INVALID', `Unsupported log entry type ${kv} for a DSSE bundle`);
  }

  const ms = c.messageSignature;
  if (kv === 'hashedrekord/0.0.1') {
    const data = obj(spec.data, 'data');
    const h = hexDigest(data.hash, 'hash');
    if (!ms.digest || h.algorithm !== 'sha256' || !equalBytes(h.value, ms.digest.digest)) bad('The log entry records a different artifact digest');
    const s = obj(spec.signature, 'signature');
    if (!equalBytes(b64(s.content, 'signature'), ms.signature)) bad('The log entry records a different signature');
    if (!matchesPemVerifier(obj(s.publicKey, 'publicKey').content, signer)) bad('The log entry records a different signing certificate or key');
    return;
  }
  if (kv === 'hashedrekord/0.0.2') {
    const v = obj(spec.hashedRekordV002, 'hashedRekordV002');
    const h = obj(v.data, 'data');
    if (!ms.digest || !V2_HASH[String(h.algorithm)] || !equalBytes(b64(h.digest, 'digest'), ms.digest.digest))
      bad('The log entry records a different artifact digest');
    const s = obj(v.signature, 'signature');
    if (!equalBytes(b64(s.content, 'signature'), ms.signature)) bad('The log entry records a different signature');
    if (!matchesV2Verifier(s.verifier, signer)) bad('The log entry records a different signing certificate or key');
    return;
  }
  fail('TLOG_INVALID', `Unsupported log entry type ${kv} for a message-signature bundle (digest ${ms.digest ? toHex(ms.digest.digest) : 'none'})`);
}
