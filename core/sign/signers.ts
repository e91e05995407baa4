/**
 * Signers for the two offline OMS modes. A signer turns PAE bytes into the key's signature and, once the
 * envelope exists, supplies the bundle's verificationMaterial (keyless signers need the envelope for the
 * transparency log; these two do not).
 */
import { checkKeyType, keyTypeName } from '../crypto/key-signature.js';
import { keyHint } from '../crypto/keys.js';
import { decodePemAll, encodePem } from '../crypto/pem.js';
import { fail, isModelVerifyError } from '../errors.js';
import { certPublicKey, parseCertificate, type Certificate } from '../x509/certificate.js';
import { equalBytes, fromBase64, toBase64 } from '../util/bytes.js';
import type { Fetch } from './keyless/http.js';
import { requestTimestamp } from './keyless/tsa.js';
import type { JsonObject } from '../util/json.js';
import type { Policy } from '../policy/types.js';
import type { SigningKey } from './private-key.js';

export interface EnvelopeJson {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid?: string }[];
}

export interface BundleSigner {
  readonly method: 'key' | 'certificate' | 'sigstore';
  /** The signature over `data` (the PAE): DER ECDSA-Sig-Value, RSA or Ed25519ph, by key type. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** `verificationMaterial` for the bundle (may contact services for keyless signing). */
  verificationMaterial(envelope: EnvelopeJson, signal?: AbortSignal): Promise<JsonObject>;
  /** A policy under which our own verifier must accept the result (checked before anything is written). */
  selfCheckPolicy(): Policy;
  /** Sigstore trust material for that check (keyless only; the embedded production root when absent). */
  readonly trustedRoot?: unknown;
}

/** The key's signature over `data` as the bundle carries it; runtime failures are SIGN_FAILED. */
export async function signWith(key: SigningKey, data: Uint8Array): Promise<Uint8Array> {
  try {
    return await key.sign(data);
  } catch (e) {
    if (isModelVerifyError(e)) throw e;
    fail('SIGN_FAILED', `Signing with the ${keyTypeName(key.algorithm)} key failed: ${(e as Error).message}`, { cause: e });
  }
}

/** ECDSA only (keyless signing: Fulcio's proof of possession and the DSSE signature). */
export async function ecdsaSign(key: SigningKey, data: Uint8Array): Promise<Uint8Array> {
  if (key.algorithm.kind !== 'ec') fail('KEY_UNSUPPORTED', 'Keyless signing uses an ECDSA key');
  return signWith(key, data);
}

/** `key` mode: `publicKey.hint` = sha256 of the canonical SPKI PEM. */
export function keySigner(key: SigningKey): BundleSigner {
  return {
    method: 'key',
    sign: (data) => signWith(key, data),
    verificationMaterial: async () => ({ publicKey: { hint: await keyHint(key.spki) }, tlogEntries: [] }),
    selfCheckPolicy: () => ({ method: 'key', publicKey: encodePem('PUBLIC KEY', key.spki) }),
  };
}

/**
 * Adds an RFC 3161 timestamp over the DSSE signature to a key or certificate signer's bundle
 * (`timestampVerificationData.rfc3161Timestamps`, as Sigstore bundles carry it; the Go port's `--tsa-url`).
 */
export function withTimestamp(signer: BundleSigner, tsaUrl: string, fetchFn?: Fetch): BundleSigner {
  const f: Fetch = fetchFn ?? ((url, init) => fetch(url, init));
  return {
    ...signer,
    sign: (data) => signer.sign(data),
    selfCheckPolicy: () => signer.selfCheckPolicy(),
    async verificationMaterial(envelope, signal) {
      const material = await signer.verificationMaterial(envelope, signal);
      const sig = fromBase64(envelope.signatures[0]!.sig, 'signature');
      const token = await requestTimestamp(f, tsaUrl, sig, signal);
      return { ...material, timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: toBase64(token) }] } };
    },
  };
}

/** Certificates from PEM texts, in order (leaf first when the caller passes it first). */
export function readCertificates(pems: readonly string[], what: string): Certificate[] {
  const out: Certificate[] = [];
  for (const text of pems) {
    for (const b of decodePemAll(text, 'CERT_MALFORMED')) {
      if (b.label === 'CERTIFICATE') out.push(parseCertificate(b.der, what));
    }
  }
  return out;
}

/**
 * `certificate` mode: the leaf must carry the private key's public key; the chain is copied after it
 * (`x509CertificateChain`, which is what the reference verifier reads).
 */
export function certificateSigner(key: SigningKey, leafPem: string, chainPems: readonly string[] = []): BundleSigner {
  const leaves = readCertificates([leafPem], 'The signing certificate');
  if (leaves.length === 0) fail('CERT_MALFORMED', 'The signing certificate file holds no PEM CERTIFICATE');
  const leaf = leaves[0]!;
  const chain = readCertificates(chainPems, 'A chain certificate').filter((c) => !equalBytes(c.der, leaf.der));
  const certKey = certPublicKey(leaf);
  checkKeyType(certKey.algorithm);
  if (!equalBytes(certKey.spki, key.spki)) {
    fail('KEY_MISMATCH', 'The public key from the certificate does not match the public key paired with the private key');
  }
  const all = [leaf, ...chain];
  return {
    method: 'certificate',
    sign: (data) => signWith(key, data),
    verificationMaterial: async () => ({
      x509CertificateChain: { certificates: all.map((c) => ({ rawBytes: toBase64(c.der) })) },
      tlogEntries: [],
    }),
    // The topmost certificate we were given stands in for the user's trust anchor, which we do not have.
    selfCheckPolicy: () => ({ method: 'certificate', anchors: [encodePem('CERTIFICATE', all[all.length - 1]!.der)] }),
  };
}
