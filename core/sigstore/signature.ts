/** Step 4: the artifact signature: DSSE (standard PAE with the envelope's payloadType) or a message signature. */
import { pae } from '../bundle/dsse.js';
import type { Bundle } from '../bundle/types.js';
import { fail } from '../errors.js';
import type { HashName, PublicKeyInfo } from '../crypto/keys.js';
import { defaultScheme, digest, verifyBytes, verifyEcdsaPrehashed, type SignatureScheme } from '../crypto/verify.js';
import { equalBytes, toHex, utf8Decode } from '../util/bytes.js';
import { isObject, parseJson } from '../util/json.js';

/** The artifact a generic bundle is about: its bytes, or only its digest (`sha256:<hex>`). */
export type Artifact = { bytes: Uint8Array } | { digest: { algorithm: 'SHA-256'; value: Uint8Array } };

const MESSAGE_HASH: Record<string, HashName> = { SHA2_256: 'SHA-256', SHA2_384: 'SHA-384', SHA2_512: 'SHA-512' };

function withHash(key: PublicKeyInfo, hash: HashName): SignatureScheme {
  const s = defaultScheme(key);
  return s.name === 'Ed25519' ? s : s.name === 'RSA-PSS' ? { ...s, hash } : { name: s.name, hash };
}

export async function verifyArtifactSignature(bundle: Bundle, key: PublicKeyInfo, artifact?: Artifact): Promise<void> {
  const c = bundle.content;
  if (c.kind === 'dsse') {
    const env = c.envelope;
    if (env.signatures.length !== 1) fail('BUNDLE_MALFORMED', 'A Sigstore DSSE envelope must carry exactly one signature');
    if (!(await verifyBytes(key, defaultScheme(key), env.signatures[0]!.sig, pae(env.payloadType, env.payload)))) {
      fail('SIGNATURE_INVALID', 'The DSSE signature does not match the signed statement and the signing certificate or key');
    }
    if (artifact) await checkSubject(env.payload, artifact);
    return;
  }
  const ms = c.messageSignature;
  if (!artifact) fail('ARTIFACT_MISMATCH', 'A message-signature bundle can only be verified together with its artifact');
  const hash = ms.digest ? MESSAGE_HASH[ms.digest.algorithm] : 'SHA-256';
  if (!hash) fail('UNSUPPORTED', `Unsupported message digest algorithm ${ms.digest!.algorithm}`);
  if ('bytes' in artifact!) {
    const d = await digest(hash!, artifact.bytes);
    if (ms.digest && !equalBytes(d, ms.digest.digest)) fail('ARTIFACT_MISMATCH', 'The artifact does not match the digest recorded in the bundle');
    if (!(await verifyBytes(key, withHash(key, hash!), ms.signature, artifact.bytes)))
      fail('SIGNATURE_INVALID', 'The signature does not match the artifact and the signing key');
    return;
  }
  const given = artifact!.digest;
  if (hash !== given.algorithm) fail('UNSUPPORTED', `The bundle signs a ${hash} digest; a ${given.algorithm} digest was given`);
  if (ms.digest && !equalBytes(given.value, ms.digest.digest))
    fail('ARTIFACT_MISMATCH', 'The artifact digest does not match the digest recorded in the bundle');
  if (!verifyEcdsaPrehashed(key, given.value, ms.signature)) fail('SIGNATURE_INVALID', 'The signature does not match the artifact digest and the signing key');
}

/** For DSSE bundles the artifact must be one of the in-toto statement's subjects. */
async function checkSubject(payload: Uint8Array, artifact: Artifact): Promise<void> {
  const want = 'bytes' in artifact ? await digest('SHA-256', artifact.bytes) : artifact.digest.value;
  const st = parseJson(utf8Decode(payload, 'DSSE payload', 'SUBJECT_INVALID'), 'DSSE payload', 'SUBJECT_INVALID');
  const subjects = isObject(st) && Array.isArray(st.subject) ? st.subject : [];
  const hex = toHex(want);
  const found = subjects.some((s) => isObject(s) && isObject(s.digest) && typeof s.digest.sha256 === 'string' && s.digest.sha256.toLowerCase() === hex);
  if (!found) fail('ARTIFACT_MISMATCH', `The artifact (sha256:${hex}) is not a subject of the signed statement`);
}
