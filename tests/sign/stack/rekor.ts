/**
 * A Rekor-v1-like log: accepts `dsse` entries only after checking the envelope signature against the submitted
 * certificate, appends the canonical body to an RFC 6962 Merkle tree, and answers with an inclusion proof, a
 * signed checkpoint and a signed entry timestamp — all with its own P-256 key.
 */
import { pae } from '../../../core/bundle/dsse.js';
import { derToP1363 } from '../../../core/crypto/ecdsa-sig.js';
import { decodePem } from '../../../core/crypto/pem.js';
import { concatBytes, fromBase64, sha256, toBase64, toHex, utf8Decode, utf8Encode } from '../../../core/util/bytes.js';
import { parseCertificate } from '../../../core/x509/certificate.js';
import { HttpError } from './fulcio.js';
import { ab, canonicalJson, p256, sign, spki, type Keys } from './pki.js';

const leafHash = (d: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), d));
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r));
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

/** RFC 6962 §2.1 MTH and PATH. */
async function mth(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) return leafHash(leaves[0]!);
  const k = split(leaves.length);
  return nodeHash(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}
async function path(m: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...(await path(m, leaves.slice(0, k))), await mth(leaves.slice(k))]
    : [...(await path(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}

export class TestRekor {
  readonly leaves: Uint8Array[] = [];
  private constructor(
    readonly keys: Keys,
    readonly spki: Uint8Array,
    readonly logId: Uint8Array,
    readonly hostname: string,
  ) {}

  static async create(hostname: string): Promise<TestRekor> {
    const keys = await p256();
    const s = await spki(keys.publicKey);
    const r = new TestRekor(keys, s, await sha256(s), hostname);
    // Other people's entries, so proofs are not trivial.
    for (let i = 0; i < 5; i++) r.leaves.push(utf8Encode(`{"other":"entry ${i}"}`));
    return r;
  }

  /** POST /api/v1/log/entries */
  async createEntry(req: unknown): Promise<unknown> {
    const r = req as { kind?: string; apiVersion?: string; spec?: { proposedContent?: { envelope?: string; verifiers?: string[] } } };
    if (r.kind !== 'dsse' || r.apiVersion !== '0.0.1') throw new HttpError(400, `unsupported entry type ${r.kind} ${r.apiVersion}`);
    const envText = r.spec?.proposedContent?.envelope;
    const verifierB64 = r.spec?.proposedContent?.verifiers?.[0];
    if (!envText || !verifierB64) throw new HttpError(400, 'missing envelope or verifier');
    const env = JSON.parse(envText) as { payload: string; payloadType: string; signatures: { sig: string }[] };
    const certPem = utf8Decode(fromBase64(verifierB64, 'verifier'), 'verifier');
    const cert = parseCertificate(decodePem(certPem, ['CERTIFICATE'], 'verifier', 'CERT_MALFORMED').der);
    const key = await crypto.subtle.importKey(
      'spki',
      ab(new Uint8Array(cert.cert.subjectPublicKeyInfo.toSchema().toBER(false))),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const payload = fromBase64(env.payload, 'payload');
    const sig = fromBase64(env.signatures[0]!.sig, 'sig');
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, ab(derToP1363(sig, 32)), ab(pae(env.payloadType, payload)));
    if (!ok) throw new HttpError(400, 'envelope signature does not verify with the verifier');

    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: toHex(await sha256(utf8Encode(envText))) },
        payloadHash: { algorithm: 'sha256', value: toHex(await sha256(payload)) },
        signatures: [{ signature: env.signatures[0]!.sig, verifier: verifierB64 }],
      },
    };
    const bodyBytes = utf8Encode(canonicalJson(body));
    const index = this.leaves.length;
    this.leaves.push(bodyBytes);
    const integratedTime = Math.floor(Date.now() / 1000);
    const root = await mth(this.leaves);
    const hashes = await path(index, this.leaves);
    const note = `${this.hostname} - 4242\n${this.leaves.length}\n${toBase64(root)}\n`;
    const noteSig = await sign(this.keys.privateKey, utf8Encode(note));
    const checkpoint = `${note}\n\u2014 ${this.hostname} ${toBase64(concatBytes(this.logId.subarray(0, 4), noteSig))}\n`;
    const bodyB64 = toBase64(bodyBytes);
    const set = await sign(this.keys.privateKey, utf8Encode(canonicalJson({ body: bodyB64, integratedTime, logID: toHex(this.logId), logIndex: index })));
    const uuid = toHex(await leafHash(bodyBytes));
    return {
      [uuid]: {
        body: bodyB64,
        integratedTime,
        logID: toHex(this.logId),
        logIndex: index,
        verification: {
          inclusionProof: { checkpoint, hashes: hashes.map(toHex), logIndex: index, rootHash: toHex(root), treeSize: this.leaves.length },
          signedEntryTimestamp: toBase64(set),
        },
      },
    };
  }
}

/**
 * A Rekor-v2-like log (rekor-tiles): `dsseRequestV002` in, TransparencyLogEntry out; Ed25519 checkpoints, no
 * integrated time and no SET (so bundles need an RFC 3161 timestamp).
 */
export class TestRekorV2 {
  readonly leaves: Uint8Array[] = [utf8Encode('{"other":"v2 entry"}')];
  private constructor(
    readonly keys: Keys,
    readonly spki: Uint8Array,
    readonly logId: Uint8Array,
    readonly hostname: string,
  ) {}

  static async create(hostname: string): Promise<TestRekorV2> {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as Keys;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    // C2SP signed-note key ID: SHA-256(name || "\n" || 0x01 || key).
    const logId = await sha256(concatBytes(utf8Encode(hostname + '\n'), Uint8Array.of(1), raw));
    return new TestRekorV2(keys, await spki(keys.publicKey), logId, hostname);
  }

  async createEntry(req: unknown): Promise<unknown> {
    const r = (
      req as {
        dsseRequestV002?: {
          envelope?: { payload: string; payloadType: string; signatures: { sig: string }[] };
          verifiers?: { x509Certificate?: { rawBytes?: string }; keyDetails?: string }[];
        };
      }
    ).dsseRequestV002;
    const env = r?.envelope;
    const verifier = r?.verifiers?.[0];
    if (!env || !verifier?.x509Certificate?.rawBytes) throw new HttpError(400, 'missing envelope or verifier');
    const cert = parseCertificate(fromBase64(verifier.x509Certificate.rawBytes, 'verifier'));
    const key = await crypto.subtle.importKey(
      'spki',
      ab(new Uint8Array(cert.cert.subjectPublicKeyInfo.toSchema().toBER(false))),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const payload = fromBase64(env.payload, 'payload');
    const sig = fromBase64(env.signatures[0]!.sig, 'sig');
    if (!(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, ab(derToP1363(sig, 32)), ab(pae(env.payloadType, payload))))) {
      throw new HttpError(400, 'envelope signature does not verify with the verifier');
    }
    const body = {
      apiVersion: '0.0.2',
      kind: 'dsse',
      spec: {
        dsseV002: {
          payloadHash: { algorithm: 'SHA2_256', digest: toBase64(await sha256(payload)) },
          signatures: [{ content: env.signatures[0]!.sig, verifier }],
        },
      },
    };
    const bodyBytes = utf8Encode(canonicalJson(body));
    const index = this.leaves.length;
    this.leaves.push(bodyBytes);
    const root = await mth(this.leaves);
    const note = `${this.hostname}\n${this.leaves.length}\n${toBase64(root)}\n`;
    const noteSig = new Uint8Array(await crypto.subtle.sign('Ed25519', this.keys.privateKey, ab(utf8Encode(note))));
    return {
      logIndex: String(index),
      logId: { keyId: toBase64(this.logId) },
      kindVersion: { kind: 'dsse', version: '0.0.2' },
      inclusionProof: {
        logIndex: String(index),
        rootHash: toBase64(root),
        treeSize: String(this.leaves.length),
        hashes: (await path(index, this.leaves)).map(toBase64),
        checkpoint: { envelope: `${note}\n\u2014 ${this.hostname} ${toBase64(concatBytes(this.logId.subarray(0, 4), noteSig))}\n` },
      },
      canonicalizedBody: toBase64(bodyBytes),
    };
  }
}
