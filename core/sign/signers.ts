/**
 * The signer interface and the `key` mode's signer. A signer turns PAE bytes into the key's signature and, once
 * the envelope exists, supplies the bundle's verificationMaterial (keyless signers need the envelope for the
 * transparency log; key and certificate signers do not). Certificate signers and timestamps are in ./x509/:
 * they need pkijs, which a key signature never loads.
 */
import { keyTypeName } from '../crypto/key-signature.js';
import { keyHint } from '../crypto/keys.js';
import { encodePem } from '../crypto/pem.js';
import { fail, isModelVerifyError } from '../errors.js';
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
