/**
 * Signing pipeline shared by every shell: model → manifest (core's serializer, reference order) → statement
 * → PAE → signature → bundle v0.3 → our own verifier accepts its signature over that statement → bytes to write.
 */
import { pae } from '../bundle/dsse.js';
import { IN_TOTO_PAYLOAD_TYPE, MEDIA_TYPE_V03 } from '../bundle/types.js';
import { fail, ModelVerifyError, toModelVerifyError } from '../errors.js';
import type { HashBackend, Progress } from '../hash/backend.js';
import { HASH_ALGORITHMS, resourceCount, type HashAlgorithm } from '../manifest/types.js';
import { GIT_PATHS, IgnoreSet } from '../serialize/ignore.js';
import type { ModelSource } from '../serialize/source.js';
import { base64Length, equalBytes, letGo, toBase64, toBase64Into, utf8Encode } from '../util/bytes.js';
import { computeManifest, type ComputedManifest, type ComputeOptions } from '../verify/compute.js';
import { parseBundle } from '../bundle/reader.js';
import { dsseEnvelope } from '../verify/envelope.js';
import { checkSignature } from '../verify/verify-model.js';
import type { BundleSigner, EnvelopeJson } from './signers.js';
import { statementPayload } from './statement.js';

export const DEFAULT_SHARD_SIZE = 1_000_000_000;

export interface SignOptions {
  /** Content hash (default sha256). */
  hashType?: HashAlgorithm;
  /** Serialize by shards of this many bytes instead of whole files. */
  shardSize?: number;
  /** Model-relative paths to leave out (the CLI adds the signature file when it lies inside the model). */
  ignorePaths?: readonly string[];
  /** Leave out top-level .git, .gitattributes, .github, .gitignore (default true, like the reference). */
  ignoreGitPaths?: boolean;
  /** Hash symlinked files (inside the model only) instead of refusing them. */
  allowSymlinks?: boolean;
  backend?: HashBackend;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onStage?: (stage: 'hashing' | 'signing') => void;
  /** Observer of the walk and hashing phases (logs, traces); see core/util/phase.ts. */
  onPhase?: ComputeOptions['onPhase'];
}

export interface SignResult {
  /** The signature file (UTF-8 JSON), already accepted by our verifier. */
  bundle: Uint8Array;
  /** The exact statement bytes that were signed. */
  payload: Uint8Array;
  manifest: ComputedManifest;
  /** Ignore paths recorded in the statement. */
  ignorePaths: string[];
  /** Things a person should know about the signature made (e.g. files it cannot cover). */
  warnings: string[];
}

function checkOptions(o: SignOptions): { hashType: HashAlgorithm; shardSize?: number } {
  const hashType = o.hashType ?? 'sha256';
  if (!HASH_ALGORITHMS.includes(hashType)) fail('SERIALIZATION_UNSUPPORTED', `Unsupported hash '${String(hashType)}' (use sha256, blake2b or blake3)`);
  if (o.shardSize !== undefined && !(Number.isSafeInteger(o.shardSize) && o.shardSize > 0)) {
    fail('SERIALIZATION_UNSUPPORTED', `The shard size must be a positive integer number of bytes, got ${o.shardSize}`);
  }
  return o.shardSize === undefined ? { hashType } : { hashType, shardSize: o.shardSize };
}

/** Hashes the model and returns the statement payload (deterministic for the same model and options). */
export async function buildModelPayload(
  source: ModelSource,
  o: SignOptions = {},
): Promise<{ payload: Uint8Array; manifest: ComputedManifest; ignorePaths: string[]; warnings: string[] }> {
  const { hashType, shardSize } = checkOptions(o);
  const ignore = new IgnoreSet([...(o.ignoreGitPaths === false ? [] : GIT_PATHS), ...(o.ignorePaths ?? [])]);
  const serialization = shardSize === undefined ? { method: 'files' as const, hashType } : { method: 'shards' as const, hashType, shardSize };
  const manifest = await computeManifest(source, {
    serialization,
    ignore,
    allowSymlinks: !!o.allowSymlinks,
    ...(o.backend ? { backend: o.backend } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onPhase ? { onPhase: o.onPhase } : {}),
  });
  if (resourceCount(manifest) === 0) {
    fail('MODEL_EMPTY', `Refusing to sign '${source.name}': it has no files to sign (empty, only ignored paths, or only empty files when sharding)`);
  }
  const ignorePaths = ignore.list().filter((p) => p !== '.');
  const payload = statementPayload({
    modelName: source.name,
    rootDigest: manifest.rootDigest,
    serialization: { ...serialization, allowSymlinks: !!o.allowSymlinks },
    ignorePaths,
    // Packed: the statement is written from the raw digests, with no Resource or hex string per file kept.
    ...(manifest.packed ? { packed: manifest.packed, resources: [] } : { resources: manifest.resources }),
  });
  return { payload, manifest, ignorePaths, warnings: shardWarnings(serialization.method, manifest.emptyFiles) };
}

/**
 * The shard format has no shard for an empty file, so a shard signature cannot cover one, and our verifier
 * reports an uncovered empty file as unsigned (README: where we deliberately differ). Say so at signing time
 * rather than let the first verification fail.
 */
function shardWarnings(method: 'files' | 'shards', emptyFiles: readonly string[]): string[] {
  if (method !== 'shards' || emptyFiles.length === 0) return [];
  const shown = emptyFiles.slice(0, 5).join(', ') + (emptyFiles.length > 5 ? `, … (${emptyFiles.length} in all)` : '');
  return [
    `${emptyFiles.length === 1 ? '1 empty file is' : `${emptyFiles.length} empty files are`} not covered by this shard signature (the format has no shard for an empty file): ${shown}. ` +
      'Verification reports them as unsigned unless they are ignored (--ignore-unsigned-files or --ignore-paths); sign by files to cover them.',
  ];
}

/** Signs a statement payload into a bundle and checks it with our own verifier. */
export async function signPayload(payload: Uint8Array, signer: BundleSigner, signal?: AbortSignal): Promise<Uint8Array> {
  const sig = await signer.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload));
  // The payload's base64 as a string only if a signer reads it (keyless: the transparency log entry); the bundle's
  // bytes get it written straight in (see bundleBytes).
  let b64: string | undefined;
  const envelope: EnvelopeJson = {
    get payload() {
      return (b64 ??= toBase64(payload));
    },
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    signatures: [{ sig: toBase64(sig), keyid: '' }],
  };
  const material = await signer.verificationMaterial(envelope, signal);
  const bundle = bundleBytes(material, envelope, payload);
  try {
    // The file as written, read back as any verifier reads it: its signature checked under the signer's policy over
    // the payload it carries, and that payload exactly the statement signed. The statement itself, written from the
    // digests just computed, is not parsed a second time (0.25 s and ~40 MB for a 100k-file model).
    // Its payload compared with the statement a piece at a time as it is decoded (then it is the statement's array).
    const written = parseBundle(bundle, { expectPayload: payload });
    await checkSignature(written, signer.selfCheckPolicy(), {
      ...(signal ? { signal } : {}),
      ...(signer.trustedRoot !== undefined ? { trustedRoot: signer.trustedRoot } : {}),
    });
    const env = dsseEnvelope(written);
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE || (env.payload !== payload && !equalBytes(env.payload, payload))) {
      fail('SIGN_FAILED', 'The bundle does not carry the signed statement');
    }
    if (env.payload !== payload) letGo(env.payload);
  } catch (e) {
    // Keep the verifier's code (CERT_USAGE, CERT_EXPIRED, …): it names what is wrong with the inputs.
    const err = toModelVerifyError(e, 'SIGN_FAILED');
    throw new ModelVerifyError(err.code, `The new signature does not pass verification, so it was not written: ${err.message}`, { cause: e });
  }
  return bundle;
}

/**
 * The bundle's UTF-8 JSON, exactly `JSON.stringify({ mediaType, verificationMaterial, dsseEnvelope })`, with the
 * payload's base64 written into the bytes instead of going through three strings as long as it (the base64, the
 * JSON text, then its encoding: ~70 MB of garbage for a 100k-file statement). Base64 needs no JSON escaping, so
 * the bytes are the same; the self-check that follows reads them like any bundle.
 */
function bundleBytes(material: unknown, envelope: EnvelopeJson, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const mark = `model-verify-payload-${crypto.randomUUID()}`;
  const text = JSON.stringify({
    mediaType: MEDIA_TYPE_V03,
    verificationMaterial: material,
    dsseEnvelope: { payload: mark, payloadType: envelope.payloadType, signatures: envelope.signatures },
  });
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) fail('SIGN_FAILED', 'The bundle could not be assembled');
  const head = utf8Encode(text.slice(0, at));
  const tail = utf8Encode(text.slice(at + mark.length));
  const n = base64Length(payload.length);
  const out = new Uint8Array(head.length + n + tail.length);
  out.set(head, 0);
  toBase64Into(payload, out, head.length);
  out.set(tail, head.length + n);
  return out;
}

export async function signModel(source: ModelSource, signer: BundleSigner, o: SignOptions = {}): Promise<SignResult> {
  o.onStage?.('hashing');
  const built = await buildModelPayload(source, o);
  o.onStage?.('signing');
  const bundle = await signPayload(built.payload, signer, o.signal);
  return { bundle, ...built };
}
