/** Reading the CLI's input files (keys, certificates, signatures, artifacts) into typed errors. */
import { readFile, stat } from 'node:fs/promises';
import { ModelVerifyError } from '../core/errors.js';

export async function readText(p: string, what: string): Promise<string> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    throw new ModelVerifyError('IO_ERROR', `Cannot read ${what} '${p}': ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a whole file; with `max`, anything larger (or not a regular file) is refused before reading it. */
export async function readBytes(p: string, what: string, max?: number): Promise<Uint8Array> {
  try {
    if (max !== undefined) {
      const st = await stat(p);
      if (!st.isFile()) throw new ModelVerifyError('IO_ERROR', `Cannot read ${what} '${p}': not a regular file`);
      if (st.size > max) throw new ModelVerifyError('BUNDLE_TOO_LARGE', `The ${what} '${p}' is larger than ${max} bytes`);
    }
    return new Uint8Array(await readFile(p));
  } catch (e) {
    if (e instanceof ModelVerifyError) throw e;
    throw new ModelVerifyError('IO_ERROR', `Cannot read ${what} '${p}': ${(e as Error).message}`, { cause: e });
  }
}
