/** PEM armour. Key files made by GnuTLS certtool carry a text dump before the block, so we search for it. */
import { fail, type ErrorCode } from '../errors.js';
import { fromBase64, toBase64 } from '../util/bytes.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in the text, in order. Text outside blocks is ignored. */
export function decodePemAll(text: string, code: ErrorCode = 'KEY_MALFORMED'): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    let body = m[2]!;
    // RFC 1421 headers (Proc-Type/DEK-Info) precede a blank line in legacy encrypted keys.
    if (/^\s*Proc-Type:/m.test(body)) {
      fail('KEY_UNSUPPORTED', `Legacy encrypted PEM (${label}) is not supported; convert it to encrypted PKCS#8`);
    }
    body = body.replace(/\s+/g, '');
    if (body.length === 0) fail(code, `Empty PEM block ${label}`);
    out.push({ label, der: fromBase64(body, `PEM block ${label}`, code) });
  }
  return out;
}

export function decodePem(text: string, labels: string[], what: string, code: ErrorCode = 'KEY_MALFORMED'): PemBlock {
  const block = decodePemAll(text, code).find((b) => labels.includes(b.label));
  if (!block) fail(code, `${what}: no PEM block of type ${labels.join(' or ')} found`);
  return block;
}

/** The exact PEM text Python `cryptography` (and Node's KeyObject.export) emits: 64-column lines, trailing LF. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
