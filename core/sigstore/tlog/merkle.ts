/** RFC 6962 / RFC 9162 §2.1.3.2 Merkle inclusion proofs with SHA-256. */
import { sha256 } from '@noble/hashes/sha2.js';
import { fail } from '../../errors.js';
import { concatBytes, equalBytes } from '../../util/bytes.js';

// Synchronous SHA-256 (@noble/hashes) for the 33- and 65-byte Merkle inputs: an async WebCrypto round trip per
// node costs more than the hash itself, and a proof has ~30 of them.

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export async function leafHash(body: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(LEAF, body));
}

function nodeHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE, l, r));
}

/** Root hash implied by `proof` for the leaf at `index` in a tree of `size` leaves; fails on a malformed proof. */
export async function rootFromProof(index: bigint, size: bigint, leaf: Uint8Array, proof: readonly Uint8Array[]): Promise<Uint8Array> {
  if (index < 0n || index >= size) fail('TLOG_PROOF_INVALID', `Inclusion proof index ${index} is outside a tree of size ${size}`);
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) fail('TLOG_PROOF_INVALID', 'Inclusion proof hash is not 32 bytes');
    if (sn === 0n) fail('TLOG_PROOF_INVALID', 'Inclusion proof is longer than the tree allows');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail('TLOG_PROOF_INVALID', 'Inclusion proof is shorter than the tree requires');
  return r;
}

export async function verifyInclusion(index: bigint, size: bigint, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<void> {
  const computed = await rootFromProof(index, size, leaf, proof);
  if (!equalBytes(computed, root)) fail('TLOG_PROOF_INVALID', 'The inclusion proof does not lead to the checkpoint root hash');
}
