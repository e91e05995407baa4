/**
 * Bench-only signer, independent of core/sign: an OMS key-method bundle exactly as the reference writes it
 * (docs/oms-format.md §8.1): in-toto statement → DSSE (PAE, ECDSA P-256/SHA-256, DER) → Sigstore bundle v0.3 with
 * the public-key hint. Digests come from `openssl dgst`, so the CLI verifies against an independent hasher.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pae } from '../core/bundle/dsse.js';
import { comparePaths } from '../core/manifest/order.js';
import { rootDigest } from '../core/manifest/root-digest.js';

export interface SignedModel {
  signature: string;
  publicKey: string;
  /** The signing key (PKCS#8 PEM), so the bench can time `sign key` with the same key. */
  privateKey: string;
}

/** `digests`: model-relative POSIX path → sha256 hex of the file. Writes model.sig and key.pub into `outDir`. */
export async function signModel(modelDir: string, digests: Record<string, string>, outDir: string): Promise<SignedModel> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const resources = Object.keys(digests)
    .sort(comparePaths)
    .map((name) => ({ algorithm: 'sha256', name, digest: digests[name]! }));
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: path.basename(modelDir), digest: { sha256: await rootDigest(resources) } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      resources,
      serialization: { allow_symlinks: false, method: 'files', hash_type: 'sha256', ignore_paths: ['.git', '.gitattributes', '.gitignore', '.github'] },
    },
  };
  const payload = Buffer.from(JSON.stringify(statement, null, 2));
  const payloadType = 'application/vnd.in-toto+json';
  const sig = sign('sha256', pae(payloadType, payload), privateKey); // DER ECDSA
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: createHash('sha256').update(pem).digest('hex') }, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
  const base = path.join(outDir, path.basename(modelDir));
  const out = { signature: `${base}.sig`, publicKey: `${base}.pub.pem`, privateKey: `${base}.key.pem` };
  writeFileSync(out.signature, JSON.stringify(bundle));
  writeFileSync(out.publicKey, pem);
  writeFileSync(out.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  return out;
}
