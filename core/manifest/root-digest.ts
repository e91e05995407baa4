import { fail } from '../errors.js';
import { fromHex, sha256, toHex } from '../util/bytes.js';
import type { Resource } from './types.js';

/** SHA-256 over the raw bytes of every resource digest, in list order (always SHA-256, whatever the content hash). */
export async function rootDigest(resources: readonly Pick<Resource, 'digest'>[]): Promise<string> {
  let total = 0;
  const raws = resources.map((r) => {
    const b = fromHex(r.digest);
    if (!b) fail('MANIFEST_INVALID', `Resource digest '${r.digest}' is not hex`);
    total += b.length;
    return b;
  });
  const all = new Uint8Array(total);
  let o = 0;
  for (const b of raws) {
    all.set(b, o);
    o += b.length;
  }
  return toHex(await sha256(all));
}
