/** The built CLI's `--json` output is the v1 report: it satisfies report.schema.json, verified or not, every method. */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MEDIA_TYPE } from '../../core/verify/report.js';
import { CLI, ROOT, SCRIPTS } from '../helpers/fixtures.js';
import { schemaErrors } from '../helpers/report-schema.js';
import { IDENTITY, ISSUER } from '../sigstore/fixtures.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mv-report-schema-'));
const PUB = 'keys/certificate/signing-key-pub.pem';
const CA = 'keys/certificate/ca-cert.pem';

function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** A golden's directory copied to tmp with one file overwritten. */
function tampered(name: string): string {
  const dir = path.join(tmp, `tampered-${name}`);
  cpSync(path.join(SCRIPTS, name), dir, { recursive: true });
  writeFileSync(path.join(dir, 'signme-1'), 'tampered');
  return dir;
}

/** Runs `verify … --json` and returns the parsed report, checking the exit code agrees with it. */
function report(args: string[]): any {
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args, '--json'], { cwd: SCRIPTS, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  let j: any;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON on stdout (exit ${r.status}): ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
  }
  expect(r.status).toBe(j.verified ? 0 : 1);
  return j;
}

const key = (model: string, sig: string, pub = PUB, extra: string[] = []) => ['key', model, '--signature', sig, '--public-key', pub, ...extra];
const cert = (model: string, sig: string, extra: string[] = []) => ['certificate', model, '--signature', sig, '--certificate-chain', CA, ...extra];
const sigstore = (model: string, sig: string, identity = IDENTITY) => [
  'sigstore',
  model,
  '--signature',
  sig,
  '--identity',
  identity,
  '--identity-provider',
  ISSUER,
];

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

describe('verify --json satisfies report.schema.json', () => {
  const otherKey = () => file('other-pub.pem', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const cases: [string, () => string[], { verified: boolean; code?: string; method?: string }][] = [
    ['key golden v1.1.0', () => key('v1.1.0-elliptic-key', 'v1.1.0-elliptic-key/model.sig'), { verified: true, method: 'key' }],
    [
      'key golden v0.3.1 (single file, legacy key material)',
      () => key('v0.3.1-elliptic-key/signme-1', 'v0.3.1-elliptic-key/model.sig'),
      { verified: true, method: 'key' },
    ],
    ['certificate golden v1.1.0', () => cert('v1.1.0-certificate', 'v1.1.0-certificate/model.sig'), { verified: true, method: 'certificate' }],
    ['certificate golden v0.2.0 (compat PAE)', () => cert('v0.2.0-certificate', 'v0.2.0-certificate/model.sig'), { verified: true, method: 'certificate' }],
    ['sigstore golden v1.1.0', () => sigstore('v1.1.0-sigstore', 'v1.1.0-sigstore/model.sig'), { verified: true, method: 'sigstore' }],
    ['sigstore golden v0.3.1', () => sigstore('v0.3.1-sigstore', 'v0.3.1-sigstore/model.sig'), { verified: true, method: 'sigstore' }],
    [
      'tampered file, key',
      () => key(tampered('v1.1.0-elliptic-key'), 'v1.1.0-elliptic-key/model.sig'),
      { verified: false, code: 'HASH_MISMATCH', method: 'key' },
    ],
    [
      'tampered file, certificate',
      () => cert(tampered('v1.1.0-certificate'), 'v1.1.0-certificate/model.sig'),
      { verified: false, code: 'HASH_MISMATCH', method: 'certificate' },
    ],
    [
      'tampered file, sigstore',
      () => sigstore(tampered('v1.1.0-sigstore'), 'v1.1.0-sigstore/model.sig'),
      { verified: false, code: 'HASH_MISMATCH', method: 'sigstore' },
    ],
    [
      'unsigned extra file',
      () => cert('v1.0.1-certificate', 'v1.0.1-certificate/model.sig'),
      { verified: false, code: 'UNSIGNED_FILE', method: 'certificate' },
    ],
    ['wrong key', () => key('v1.1.0-elliptic-key', 'v1.1.0-elliptic-key/model.sig', otherKey()), { verified: false, code: 'KEY_MISMATCH' }],
    ['another identity', () => sigstore('v1.1.0-sigstore', 'v1.1.0-sigstore/model.sig', 'someone@example.com'), { verified: false, code: 'IDENTITY_MISMATCH' }],
    ['malformed bundle', () => key('v1.1.0-elliptic-key', file('malformed.sig', '{"mediaType": 42}')), { verified: false, code: 'BUNDLE_MALFORMED' }],
    ['a bundle that is not JSON', () => key('v1.1.0-elliptic-key', file('garbage.sig', '\u0000garbage')), { verified: false, code: 'BUNDLE_MALFORMED' }],
    // Refused before verifyModel runs: the CLI's own failed report (cli/main.ts failReport).
    ['no signature file', () => key('v1.1.0-elliptic-key', path.join(tmp, 'absent.sig')), { verified: false }],
    ['no such model', () => key(path.join(tmp, 'absent-model'), 'v1.1.0-elliptic-key/model.sig'), { verified: false }],
    ['a public key that is not PEM', () => key('v1.1.0-elliptic-key', 'v1.1.0-elliptic-key/model.sig', file('bad.pem', 'not a key')), { verified: false }],
  ];
  it.each(cases)('%s', (_name, args, want) => {
    const j = report(args());
    expect(schemaErrors(j)).toEqual([]);
    expect(j.mediaType).toBe(REPORT_MEDIA_TYPE);
    expect(j.verified, JSON.stringify(j.errors)).toBe(want.verified);
    if (want.code) expect(j.errors[0].code).toBe(want.code);
    if (want.method) expect(j.signer.method).toBe(want.method);
  });
});
