/** The golden signatures of tests/fixtures/README.md and the policy each verifies with. */
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/model-transparency/scripts/tests');
export const PUBLIC_KEY = join(FIXTURES, 'keys/certificate/signing-key-pub.pem');
export const CA_CERT = join(FIXTURES, 'keys/certificate/ca-cert.pem');
export const SIGSTORE_IDENTITY = 'stefanb@us.ibm.com';
export const SIGSTORE_ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

export interface Golden {
  name: string;
  method: 'key' | 'certificate' | 'sigstore';
  /** The model is one file of the folder (signed as a single-file model). */
  singleFile?: string;
  /** The folder holds `ignore-me`, which is not signed. */
  ignoreMe: boolean;
}

export const GOLDENS: Golden[] = readdirSync(FIXTURES)
  .filter((d) => /^v\d/.test(d))
  .sort()
  .map((name) => {
    const method = name.endsWith('sigstore') ? 'sigstore' : name.endsWith('certificate') ? 'certificate' : 'key';
    const files = readdirSync(join(FIXTURES, name));
    const singleFile = method === 'key' && !files.includes('signme-2') ? 'signme-1' : undefined;
    return { name, method, ignoreMe: files.includes('ignore-me'), ...(singleFile ? { singleFile } : {}) };
  });

/** A writable copy of a golden folder with the first byte of `file` flipped. */
export function tamperedCopy(name: string, file: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mv-e2e-')), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  const p = join(dir, file);
  const bytes = readFileSync(p);
  bytes[0]! ^= 0x01;
  writeFileSync(p, bytes);
  return dir;
}
