/** Paths and parameters of the reference goldens (tests/fixtures/README.md). Node-only helper. */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Policy } from '../../core/policy/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCRIPTS = path.join(ROOT, 'tests/fixtures/model-transparency/scripts/tests');
export const KEYS = path.join(SCRIPTS, 'keys/certificate');
export const PUB_KEY = path.join(KEYS, 'signing-key-pub.pem');
export const PRIV_KEY = path.join(KEYS, 'signing-key.pem');
export const CA_CERT = path.join(KEYS, 'ca-cert.pem');
export const INT_CERT = path.join(KEYS, 'int-ca-cert.pem');
export const CLI = path.join(ROOT, 'bin/model-verify.js');

export interface Golden {
  name: string;
  method: 'key' | 'certificate';
  /** Model path relative to SCRIPTS. */
  model: string;
  /** Model-relative ignores the README asks for. */
  ignore: string[];
}

export const KEY_CERT_GOLDENS: Golden[] = [
  { name: 'v0.2.0-certificate', method: 'certificate', model: 'v0.2.0-certificate', ignore: [] },
  { name: 'v0.3.1-certificate', method: 'certificate', model: 'v0.3.1-certificate', ignore: [] },
  { name: 'v0.3.1-elliptic-key', method: 'key', model: 'v0.3.1-elliptic-key/signme-1', ignore: [] },
  { name: 'v1.0.0-certificate', method: 'certificate', model: 'v1.0.0-certificate', ignore: [] },
  { name: 'v1.0.0-elliptic-key', method: 'key', model: 'v1.0.0-elliptic-key/signme-1', ignore: [] },
  { name: 'v1.0.1-certificate', method: 'certificate', model: 'v1.0.1-certificate', ignore: ['ignore-me'] },
  { name: 'v1.0.1-elliptic-key', method: 'key', model: 'v1.0.1-elliptic-key', ignore: ['ignore-me'] },
  { name: 'v1.1.0-certificate', method: 'certificate', model: 'v1.1.0-certificate', ignore: ['ignore-me'] },
  { name: 'v1.1.0-elliptic-key', method: 'key', model: 'v1.1.0-elliptic-key', ignore: ['ignore-me'] },
];

export function sigPath(g: Golden): string {
  return path.join(SCRIPTS, g.name, 'model.sig');
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}

export function policyFor(g: Golden): Policy {
  return g.method === 'key' ? { method: 'key', publicKey: readText(PUB_KEY) } : { method: 'certificate', anchors: [readText(CA_CERT)] };
}

/** Copies a golden's model (dir or single file) into a fresh temp dir; returns the model path in it. */
export function copyModel(g: Golden): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mv-'));
  const src = path.join(SCRIPTS, g.model);
  const dst = path.join(dir, path.basename(src));
  cpSync(src, dst, { recursive: true });
  return dst;
}
