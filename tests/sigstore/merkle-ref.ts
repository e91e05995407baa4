/** RFC 6962 §2.1 reference definitions (MTH, PATH), independent of the verifier under test. */
import { concatBytes, sha256 } from '../../core/util/bytes.js';

export const leafHashRef = (d: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), d));
const node = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r));
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

export async function mth(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) return leafHashRef(leaves[0]!);
  const k = split(leaves.length);
  return node(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

export async function auditPath(m: number, leaves: Uint8Array[]): Promise<Uint8Array[]> {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...(await auditPath(m, leaves.slice(0, k))), await mth(leaves.slice(k))]
    : [...(await auditPath(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}
