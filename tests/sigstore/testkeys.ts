/** Fresh WebCrypto keys wrapped as trust-root log keys, for tests that sign their own notes (portable). */
import { parseSpki } from '../../core/crypto/keys.js';
import type { SignatureScheme } from '../../core/crypto/verify.js';
import { p1363ToDer } from '../../core/crypto/ecdsa-sig.js';
import type { LogKey } from '../../core/sigstore/trust-root.js';
import { concatBytes, sha256, utf8Encode } from '../../core/util/bytes.js';

export interface TestLog {
  log: LogKey;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export async function ecdsaLog(host: string, curve: 'P-256' | 'P-384' = 'P-256'): Promise<TestLog> {
  const k = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey));
  const log: LogKey = {
    baseUrl: `https://${host}`,
    host,
    key: parseSpki(spki),
    scheme: { name: 'ECDSA', hash: 'SHA-256' },
    validFor: { start: new Date('2020-01-01T00:00:00Z') },
    logId: await sha256(spki), // Rekor v1 / CT: SHA-256 of the SPKI
  };
  return {
    log,
    sign: async (d) => p1363ToDer(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, d as Uint8Array<ArrayBuffer>))),
  };
}

export async function ed25519Log(host: string): Promise<TestLog> {
  const k = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', k.publicKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', k.publicKey));
  const scheme: SignatureScheme = { name: 'Ed25519' };
  const log: LogKey = {
    baseUrl: `https://${host}`,
    host,
    key: parseSpki(spki),
    scheme,
    validFor: { start: new Date('2020-01-01T00:00:00Z') },
    // Rekor v2: the C2SP signed-note key ID, SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
    logId: await sha256(concatBytes(utf8Encode(host + '\n'), Uint8Array.of(1), raw)),
  };
  return { log, sign: async (d) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, k.privateKey, d as Uint8Array<ArrayBuffer>)) };
}

/** A signed note: body lines, then the given signature lines (name, keyhint‖sig) in order. */
export async function signNote(body: string, signers: { name: string; t: TestLog | null; hint?: Uint8Array }[]): Promise<string> {
  const { toBase64 } = await import('../../core/util/bytes.js');
  const lines: string[] = [];
  for (const s of signers) {
    const hint = s.hint ?? s.t?.log.logId.subarray(0, 4) ?? Uint8Array.of(9, 9, 9, 9);
    const sig = s.t ? await s.t.sign(utf8Encode(body)) : new Uint8Array(64).fill(7);
    lines.push(`\u2014 ${s.name} ${toBase64(concatBytes(hint, sig))}`);
  }
  return `${body}\n${lines.join('\n')}\n`;
}
