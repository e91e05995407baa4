/**
 * Reading the CLI's input files (keys, certificates, signatures, trust roots, artifacts) into typed errors.
 *
 * Every input is hostile: it is opened once (O_NONBLOCK, so a FIFO cannot stall the open), fstat-ed on that
 * handle and must be a regular file no larger than its cap, then read from the same handle with a bound of
 * cap + 1 bytes (a file that grows after the fstat is still refused). `--public-key /dev/zero`, a FIFO, a
 * directory or a 1 GB "certificate" are errors before any large allocation.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_BUNDLE_BYTES } from '../core/bundle/index.js';
import { ModelVerifyError } from '../core/errors.js';

/** Caps per kind of input. PEM keys and certificate chains are a few KiB; 1 MiB leaves room for long chains. */
export const MAX_KEY_BYTES = 1 << 20;
/** Signatures and Sigstore bundles: the bundle reader's own cap (64 MiB). */
export const MAX_SIGNATURE_BYTES = MAX_BUNDLE_BYTES;
/** trusted_root.json / ClientTrustConfig: the production root is ~12 KiB; 8 MiB allows large private roots. */
export const MAX_TRUST_ROOT_BYTES = 8 << 20;
/** `verify-bundle` artifacts are hashed in memory (Sigstore conformance inputs are small). */
export const MAX_ARTIFACT_BYTES = 512 << 20;

/** O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; for regular files it changes nothing. */
const INPUT_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Reads a whole input file of at most `max` bytes (default: the key/certificate cap). */
export async function readBytes(p: string, what: string, max: number = MAX_KEY_BYTES): Promise<Uint8Array> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(p, INPUT_FLAGS);
    const st = await fh.stat();
    if (!st.isFile()) throw new ModelVerifyError('IO_ERROR', `Cannot read ${what} '${p}': not a regular file`);
    if (st.size > max) throw new ModelVerifyError('BUNDLE_TOO_LARGE', `The ${what} '${p}' is larger than ${max} bytes`);
    // Read to EOF from this handle, never more than max + 1 bytes whatever the file does meanwhile.
    const buf = Buffer.allocUnsafe(Math.min(max + 1, Math.max(st.size + 1, 4096)));
    let len = 0;
    let out = buf;
    for (;;) {
      if (len === out.length) {
        if (out.length > max) break;
        const bigger = Buffer.allocUnsafe(Math.min(max + 1, out.length * 2));
        out.copy(bigger, 0, 0, len);
        out = bigger;
      }
      const { bytesRead } = await fh.read(out, len, out.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    if (len > max) throw new ModelVerifyError('BUNDLE_TOO_LARGE', `The ${what} '${p}' is larger than ${max} bytes`);
    return new Uint8Array(out.buffer, out.byteOffset, len);
  } catch (e) {
    if (e instanceof ModelVerifyError) throw e;
    throw new ModelVerifyError('IO_ERROR', `Cannot read ${what} '${p}': ${(e as Error)?.message ?? e}`, { cause: e });
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** UTF-8 text of an input file (default cap: keys and certificates). */
export async function readText(p: string, what: string, max: number = MAX_KEY_BYTES): Promise<string> {
  const b = await readBytes(p, what, max);
  // Buffer's decoder, as readFile(p, 'utf8') did: a leading BOM is kept, not stripped as TextDecoder would.
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}
