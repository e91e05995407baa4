/**
 * What the Sign page does around core's signing: picked files → BrowserFileSource, hashing on this page's
 * worker pool, key or keyless signer, the policy that "verify it now" checks the new model.sig against, and
 * Blob downloads. Private keys stay in memory (CryptoKey objects and the page's state); nothing is stored.
 */
import { encodePem } from '../core/crypto/index.js';
import { fail } from '../core/index.js';
import type { HashAlgorithm } from '../core/manifest/index.js';
import type { Policy } from '../core/policy/index.js';
import type { Fetch } from '../core/sign/keyless/index.js';
import { readToken, type TokenClaims } from '../core/sign/keyless/index.js';
import { keylessSigner } from '../core/sign/keyless/index.js';
import { servicesFromConfig, PUBLIC_GOOD, type SigningServices } from '../core/sign/keyless/index.js';
import { buildModelPayload, signPayload } from '../core/sign/index.js';
import { keySigner } from '../core/sign/index.js';
import { certificateSigner } from '../core/sign/x509/index.js';
import type { SigningKey } from '../core/sign/index.js';
import { browserHashBackend } from '../browser/serial-backend.js';
import { BrowserFileSource, type PickedFile } from '../browser/file-source.js';
import { Throughput, type LiveProgress } from './verify-run.js';

/** The file name the reference CLI writes and the verify page looks for. */
export const SIGNATURE_NAME = 'model.sig';

/** A private Sigstore instance (or public-good when `config` is absent). */
export interface KeylessInstance {
  services: SigningServices;
  /** The ClientTrustConfig JSON: the signer and the verifier both take it as trust material. */
  config?: unknown;
}

export type SignWith =
  | { kind: 'key'; key: SigningKey }
  /** Certificate mode: the leaf must carry the key's public key; the chain follows it in the bundle. */
  | { kind: 'certificate'; key: SigningKey; certificatePem: string; chainPems: string[] }
  /** `fetch` routes the Sigstore calls (the Sign page passes the same-origin relay wrapper when it has one). */
  | { kind: 'keyless'; token: string; instance: KeylessInstance; fetch?: Fetch };

export interface SignRequest {
  picked: readonly PickedFile[];
  with: SignWith;
  hashType: HashAlgorithm;
  shardSize?: number;
  ignorePaths: readonly string[];
  /** model.sig will be saved inside the model folder: record it as ignored and leave out an old one. */
  signatureInside: boolean;
  signal?: AbortSignal;
  onProgress?: (p: LiveProgress) => void;
  onStage?: (s: 'hashing' | 'signing') => void;
}

export interface Signed {
  bundle: Uint8Array;
  source: BrowserFileSource;
  /** Every ignore path recorded in the statement (including the default git paths). */
  ignorePaths: string[];
  /** The paths this signing left out on request (model.sig, the user's list), for display. */
  leftOut: string[];
  /** What the person should know about this signature (e.g. empty files a shard signature cannot cover). */
  warnings: string[];
  rootDigest: string;
  files: number;
  /** The policy the new signature satisfies (for verifying it on the spot). */
  policy: Policy;
  trustedRoot?: unknown;
  /** Who signed: the key's public key PEM, the certificate's signer, or the certified identity and issuer. */
  signer: { publicKeyPem?: string; certificate?: boolean; identity?: string; issuer?: string };
}

/** Reads a ClientTrustConfig (signing config + trusted root) a person uploaded for a private instance. */
export function instanceFromConfig(text: string): KeylessInstance {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail('TRUST_ROOT_INVALID', 'The trust configuration is not valid JSON');
  }
  return { services: servicesFromConfig(json), config: json };
}

export const PUBLIC_INSTANCE: KeylessInstance = { services: PUBLIC_GOOD };

/** Claims of a pasted or freshly issued token, refusing malformed and expired ones before any hashing. */
export function tokenClaims(token: string): TokenClaims {
  return readToken(token);
}

/** The model as it will be signed: the old signature left out when the new one goes inside the folder. */
export function signingSource(picked: readonly PickedFile[], signatureInside: boolean): { source: BrowserFileSource; ignorePaths: string[] } {
  let source = BrowserFileSource.fromPicked(picked);
  const single = source.paths.length === 1 && source.paths[0] === '.';
  if (!signatureInside || single) return { source, ignorePaths: [] };
  if (source.file(SIGNATURE_NAME)) source = source.without([SIGNATURE_NAME]);
  return { source, ignorePaths: [SIGNATURE_NAME] };
}

export async function signPicked(r: SignRequest): Promise<Signed> {
  if (r.picked.length === 0) fail('MODEL_EMPTY', 'Choose the model folder (or its files) first');
  // An expired or malformed token is refused before the (possibly long) hashing.
  if (r.with.kind === 'keyless') tokenClaims(r.with.token);
  const { source, ignorePaths: extra } = signingSource(r.picked, r.signatureInside);
  const ignorePaths = [...new Set([...extra, ...r.ignorePaths])];
  const tp = new Throughput();
  r.onStage?.('hashing');
  const built = await buildModelPayload(source, {
    hashType: r.hashType,
    ...(r.shardSize !== undefined ? { shardSize: r.shardSize } : {}),
    ignorePaths,
    backend: await browserHashBackend(),
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.onProgress ? { onProgress: (p) => r.onProgress!(tp.update(p)) } : {}),
  });
  r.onStage?.('signing');
  const common = {
    source,
    ignorePaths: built.ignorePaths,
    leftOut: ignorePaths,
    warnings: built.warnings,
    rootDigest: built.manifest.rootDigest,
    files: built.manifest.resources.length,
  };
  if (r.with.kind === 'key') {
    const bundle = await signPayload(built.payload, keySigner(r.with.key), r.signal);
    const publicKeyPem = encodePem('PUBLIC KEY', r.with.key.spki);
    return { ...common, bundle, policy: { method: 'key', publicKey: publicKeyPem }, signer: { publicKeyPem } };
  }
  if (r.with.kind === 'certificate') {
    const signer = certificateSigner(r.with.key, r.with.certificatePem, r.with.chainPems);
    const bundle = await signPayload(built.payload, signer, r.signal);
    // Verified on the spot against the topmost certificate given, standing in for the verifier's trust anchor.
    return { ...common, bundle, policy: signer.selfCheckPolicy(), signer: { publicKeyPem: encodePem('PUBLIC KEY', r.with.key.spki), certificate: true } };
  }
  const { token, instance } = r.with;
  // The certificate is requested only now, after hashing: it is valid for minutes.
  const signer = await keylessSigner({
    identityToken: token,
    services: instance.services,
    ...(r.with.fetch ? { fetch: r.with.fetch } : {}),
    ...(instance.config !== undefined ? { trustedRoot: instance.config } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
  });
  const bundle = await signPayload(built.payload, signer, r.signal);
  return {
    ...common,
    bundle,
    policy: { method: 'sigstore', identity: signer.identity, issuer: signer.issuer },
    ...(instance.config !== undefined ? { trustedRoot: instance.config } : {}),
    signer: { identity: signer.identity, issuer: signer.issuer },
  };
}

/** Offers bytes as a file download (Blob + object URL); nothing is kept once the browser has it. */
export function download(data: Uint8Array | string, name: string, type: string): void {
  const blob = new Blob([typeof data === 'string' ? data : (data.slice().buffer as ArrayBuffer)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the click has been handled, so the download has started and the Blob can be freed.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Positive whole number of bytes, or undefined for "serialize whole files". */
export function parseShardSize(text: string): number | undefined {
  const t = text.trim().replace(/[_,\s]/g, '');
  if (!t) return undefined;
  const n = Number(t);
  if (!/^[1-9][0-9]*$/.test(t) || !Number.isSafeInteger(n))
    fail('SERIALIZATION_UNSUPPORTED', `The shard size must be a positive whole number of bytes, got '${text.trim()}'`);
  return n;
}
