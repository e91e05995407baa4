/**
 * The download gate: `GET|HEAD /models/<model>/<path>` streams an object from R2 only when the model's
 * signature verifies under its policy (verdict cached per bundle/policy/trust root) and the object's digest —
 * or, for a range of a shard-signed file, the digests of the shards it overlaps — equals the signed one.
 * The bytes served come from a conditional read pinned to the etag and version that were hashed.
 */
import { isModelVerifyError, toModelVerifyError } from '../core/index.js';
import { compareManifests } from '../core/manifest/index.js';
import { IgnoreSet } from '../core/serialize/index.js';
import { planModel } from '../core/serialize/index.js';
import { toHex } from '../core/util/index.js';
import type { SignerSummary } from '../core/verify/index.js';
import type { Env } from './env.js';
import { CachedBackend } from './hashing.js';
import { CORS, errorResponse, HttpError } from './http.js';
import { objectKey, r2Layout, SIGNATURE_PATH } from './names.js';
import { parseRange, type RangeResult } from './range.js';
import { r2call, R2Source, type Pin } from '../workerd/r2-source.js';
import { getPolicy, getSignature, signatureVerdict } from './store.js';

/** Attempts when an object is replaced between hashing and serving (the second sees the new object). */
const ATTEMPTS = 2;

class Changed extends Error {}

export async function gate(req: Request, env: Env, model: string, path: string): Promise<Response> {
  const head = req.method === 'HEAD';
  let res: Response;
  try {
    res = await gated(req, env, model, path, head);
  } catch (e) {
    if (e instanceof HttpError || !isModelVerifyError(e)) throw e;
    // A typed failure (storage unreadable, a hostile manifest, …): the file is not served, with the reason.
    res = errorResponse(403, e.code, `'${path}' of model '${model}' could not be verified: ${e.message}`);
  }
  return head ? headOf(res) : res;
}

/**
 * The answer to a HEAD: the GET's status and headers, no body, and the GET body's Content-Length (RFC 9110
 * §9.3.2). Error bodies are small JSON; a served object's HEAD already has no body and its object length.
 */
async function headOf(res: Response): Promise<Response> {
  if (res.body === null) return res;
  const n = (await res.arrayBuffer()).byteLength;
  const headers = new Headers(res.headers);
  headers.set('content-length', String(n));
  return new Response(null, { status: res.status, headers });
}

async function gated(req: Request, env: Env, model: string, path: string, head: boolean): Promise<Response> {
  if (path === SIGNATURE_PATH) return serveSignature(env, model, head);
  const bundle = await getSignature(env, model);
  if (!bundle) return errorResponse(403, 'NO_SIGNATURE', `Model '${model}' has no signature (${SIGNATURE_PATH}): nothing of it is served`);
  const policy = await getPolicy(env, model);
  if (!policy) return errorResponse(403, 'NO_POLICY', `Model '${model}' has no policy: nothing of it is served`);
  const verdict = await signatureVerdict(env, bundle, policy);
  if (!verdict.verified || !verdict.manifest) {
    const e = verdict.errors?.[0];
    return errorResponse(
      403,
      e?.code ?? 'SIGNATURE_INVALID',
      `The signature of model '${model}' does not verify under its policy: ${e?.message ?? 'unknown reason'}`,
    );
  }
  const manifest = verdict.manifest;
  const expected = manifest.resources.filter((r) => r.path === path);
  if (expected.length === 0) return errorResponse(403, 'UNSIGNED_FILE', `'${path}' is not covered by the signature of model '${model}'`);

  for (let attempt = 1; ; attempt++) {
    try {
      return await checkAndServe(req, env, model, path, head, manifest, expected, verdict.signer);
    } catch (e) {
      if (!(e instanceof Changed) || attempt >= ATTEMPTS) {
        if (e instanceof Changed) return errorResponse(409, 'MODEL_CHANGED', `'${path}' changed while it was being verified; try again`);
        throw e;
      }
    }
  }
}

async function checkAndServe(
  req: Request,
  env: Env,
  model: string,
  path: string,
  head: boolean,
  manifest: NonNullable<Awaited<ReturnType<typeof signatureVerdict>>['manifest']>,
  signed: typeof manifest.resources,
  signer: SignerSummary | undefined,
): Promise<Response> {
  const source = new R2Source(env.MODELS, model, { listable: false, ...r2Layout(model) });
  const entry = await source.stat(path);
  if (!entry) return errorResponse(404, 'MISSING_FILE', `'${path}' is signed but has not been published`);
  const pin = source.pin(path)!;
  const range = parseRange(req.headers.get('range'), entry.size);
  const s = manifest.serialization;

  let expected = signed;
  const plan = await planModel(source, { serialization: s, ignore: new IgnoreSet(), allowSymlinks: false, onlyPaths: new Set([path]) });
  let jobs = plan.jobs;
  if (s.method === 'shards') {
    // A loop, not Math.max(...): a spread of 130,000 shards overflows the call stack (the gate answered 500).
    let signedSize = 0;
    for (const r of signed) if ((r.end ?? 0) > signedSize) signedSize = r.end ?? 0;
    if (signedSize !== entry.size) {
      return errorResponse(403, 'HASH_MISMATCH', `'${path}' is ${entry.size} bytes but its signature covers ${signedSize}`);
    }
    if (range.kind === 'partial') {
      // Only the shards a range touches need to match: a range is served from verified shards alone.
      const overlaps = (a: number, b: number) => a < range.end && b > range.start;
      jobs = jobs.filter((j) => overlaps(j.start, j.end));
      expected = signed.filter((r) => overlaps(r.start!, r.end!));
    }
  }

  let digests: Map<string, Uint8Array>;
  try {
    digests = await new CachedBackend(env.VERDICTS).run(jobs, source);
  } catch (e) {
    const err = toModelVerifyError(e);
    if (err.code === 'MODEL_CHANGED') throw new Changed();
    return errorResponse(403, err.code, `'${path}' could not be verified: ${err.message}`);
  }
  const actual = new Map(jobs.map((j) => [j.id, { algorithm: plan.algorithm, digest: toHex(digests.get(j.id)!), bytes: j.end - j.start }]));
  const cmp = compareManifests(model, expected, actual, false);
  const bad = cmp.errors[0];
  if (bad) return errorResponse(403, bad.code, `'${path}' does not match its signature: ${bad.message}`);

  if (range.kind === 'unsatisfiable') {
    return errorResponse(416, 'RANGE_NOT_SATISFIABLE', `'${path}' has ${entry.size} bytes`, { 'content-range': `bytes */${entry.size}` });
  }
  return serve(env, objectKey(model, path), pin, range, head, signer);
}

function signerHeader(s: SignerSummary | undefined): string {
  if (!s) return '';
  const who = s.method === 'sigstore' ? s.identity : s.method === 'key' ? s.keyHint : s.certificate.subject;
  // Header values must be visible ASCII.
  return `${s.method}${who ? `; ${String(who)}` : ''}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);
}

async function serve(env: Env, key: string, pin: Pin, range: RangeResult, head: boolean, signer: SignerSummary | undefined): Promise<Response> {
  const partial = range.kind === 'partial' ? range : null;
  const path = key.slice(key.indexOf('/', 2) + 1);
  const o = head
    ? await r2call('read', path, () => env.MODELS.head(key))
    : await r2call('read', path, () =>
        env.MODELS.get(key, {
          onlyIf: { etagMatches: pin.etag },
          ...(partial ? { range: { offset: partial.start, length: partial.end - partial.start } } : {}),
        }),
      );
  if (!o || o.etag !== pin.etag || o.version !== pin.version || (!head && !('body' in o))) {
    if (o && 'body' in o) await (o.body as ReadableStream).cancel();
    throw new Changed();
  }
  const length = partial ? partial.end - partial.start : pin.size;
  const headers: Record<string, string> = {
    ...CORS,
    'content-type': o.httpMetadata?.contentType || 'application/octet-stream',
    'content-length': String(length),
    etag: o.httpEtag,
    'last-modified': o.uploaded.toUTCString(),
    'accept-ranges': 'bytes',
    // No compression on the way: it would drop Content-Length and change the bytes on the wire. Cloudflare
    // honours no-transform; wrangler dev's emulation only skips bodies with a non-gzip/br Content-Encoding.
    'cache-control': 'no-cache, no-transform',
    'content-encoding': 'identity',
    // Model files are data: never let one run as a page on this origin.
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'x-model-verify': 'verified',
    'x-model-signer': signerHeader(signer),
  };
  if (partial) headers['content-range'] = `bytes ${partial.start}-${partial.end - 1}/${pin.size}`;
  const status = partial ? 206 : 200;
  if (head) return new Response(null, { status, headers });
  // A declared length lets clients detect a truncated body (an errored stream may still end cleanly in workerd).
  const body = (o as unknown as { body: ReadableStream<Uint8Array> }).body.pipeThrough(fixedLength(length));
  // 'manual': never re-encode (gzip would drop Content-Length); the bytes sent are the bytes verified.
  return new Response(body, { status, headers, encodeBody: 'manual' } as ResponseInit);
}

function fixedLength(n: number): TransformStream<Uint8Array, Uint8Array> {
  const Ctor = (globalThis as unknown as { FixedLengthStream?: new (n: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream;
  return Ctor ? new Ctor(n) : new TransformStream();
}

/** The signature itself is public and self-authenticating: clients re-verify it in the browser or CLI. */
async function serveSignature(env: Env, model: string, head: boolean): Promise<Response> {
  // One read for bytes and etag together (a separate head could describe another upload).
  const got = await r2call('read', SIGNATURE_PATH, async () => {
    const o = await env.MODELS.get(objectKey(model, SIGNATURE_PATH));
    return o ? { httpEtag: o.httpEtag, bytes: await o.arrayBuffer() } : null;
  });
  if (!got) throw new HttpError(404, 'NO_SIGNATURE', `Model '${model}' has no signature`);
  const { bytes, httpEtag: etag } = got;
  const o = { httpEtag: etag };
  const headers = { ...CORS, 'content-type': 'application/json', 'content-length': String(bytes.byteLength), etag: o.httpEtag, 'cache-control': 'no-cache' };
  return new Response(head ? null : bytes, { headers });
}
