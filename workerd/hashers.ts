/**
 * Hashers for Cloudflare Workers. SHA-256 goes through workerd's native `crypto.DigestStream` (BoringSSL,
 * streaming, no JS per chunk); BLAKE2b and BLAKE3 (and SHA-256 where a synchronous Hasher is needed) use
 * hash-wasm's binaries, imported statically because workerd refuses runtime wasm compilation.
 */
import { registerHasher, registerStreamDigester, type StreamSink } from '../core/hash/index.js';
import blake2bModule from './wasm/blake2b.wasm';
import blake3Module from './wasm/blake3.wasm';
import sha256Module from './wasm/sha256.wasm';
import { wasmHasher } from './wasm/wasm-hasher.js';

/** workerd's non-standard streaming digest (not in the DOM typings). */
interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamCtor = new (algorithm: string) => DigestStreamLike;

export function digestStreamCtor(): DigestStreamCtor | undefined {
  return (globalThis.crypto as unknown as { DigestStream?: DigestStreamCtor }).DigestStream;
}

/** SHA-256 of a stream with crypto.DigestStream (throws where the runtime lacks it). */
export async function digestStreamSha256(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const Ctor = digestStreamCtor();
  if (!Ctor) throw new Error('crypto.DigestStream is not available in this runtime');
  const sink = new Ctor('SHA-256');
  const digest = sink.digest;
  digest.catch(() => {}); // rejects too when the pipe fails; the pipe's error is the one reported
  await stream.pipeTo(sink);
  return new Uint8Array(await digest);
}

/** The core's StreamSink over a DigestStream writer: writes are queued natively, awaited only for back-pressure. */
export function digestStreamSink(): StreamSink {
  const Ctor = digestStreamCtor();
  if (!Ctor) throw new Error('crypto.DigestStream is not available in this runtime');
  const ds = new Ctor('SHA-256');
  const writer = ds.getWriter();
  let failed: unknown;
  const note = (e: unknown) => void (failed ??= e);
  ds.digest.catch(note);
  return {
    async write(chunk) {
      if (failed !== undefined) throw failed;
      await writer.ready;
      writer.write(chunk).catch(note);
    },
    async finish() {
      await writer.close();
      if (failed !== undefined) throw failed;
      return new Uint8Array(await ds.digest);
    },
    abort(reason) {
      writer.abort(reason).catch(() => {});
    },
  };
}

/** Call once at Worker start-up, before any hashing. */
export function registerWorkerdHashers(): void {
  registerHasher('sha256', () => wasmHasher(sha256Module, 'sha256'));
  registerHasher('blake2b', () => wasmHasher(blake2bModule, 'blake2b'));
  registerHasher('blake3', () => wasmHasher(blake3Module, 'blake3'));
  if (digestStreamCtor()) registerStreamDigester('sha256', digestStreamSink);
}
