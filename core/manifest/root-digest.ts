import { fail } from '../errors.js';
import { concatList, hexInto, sha256, toHex } from '../util/bytes.js';
import type { Resource } from './types.js';

/** SHA-256 over the raw bytes of every resource digest, in list order (always SHA-256, whatever the content hash). */
export async function rootDigest(resources: readonly Pick<Resource, 'digest'>[]): Promise<string> {
  // One buffer, each digest decoded into its place (not an array per digest, then a copy of each).
  let total = 0;
  for (const r of resources) {
    if (r.digest.length % 2 !== 0) fail('MANIFEST_INVALID', `Resource digest '${r.digest}' is not hex`);
    total += r.digest.length / 2;
  }
  const all = new Uint8Array(total);
  let o = 0;
  for (const r of resources) {
    if (!hexInto(r.digest, all, o)) fail('MANIFEST_INVALID', `Resource digest '${r.digest}' is not hex`);
    o += r.digest.length / 2;
  }
  return toHex(await sha256(all));
}

/** The same root over digests already in bytes (a signer's freshly computed ones), in list order. */
export async function rootDigestOfRaw(digests: readonly Uint8Array[]): Promise<string> {
  return toHex(await sha256(concatList(digests)));
}
