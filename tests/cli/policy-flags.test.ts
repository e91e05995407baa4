/**
 * The CLI's flags go through core's parsePolicy: missing flags are INPUT_MISSING and named as flags, invalid
 * ones are refused before any hashing with the code verification itself would give.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, SCRIPTS } from '../helpers/fixtures.js';

function mv(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: SCRIPTS, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';
const KEY_SIG = ['--signature', './v1.1.0-elliptic-key/model.sig'];
const CERT_SIG = ['--signature', './v1.1.0-certificate/model.sig'];
const SIGSTORE = ['verify', 'sigstore', '--signature', './v1.1.0-sigstore/model.sig', '--ignore-paths', './v1.1.0-sigstore/ignore-me'];

describe('missing flags: INPUT_MISSING, named as flags', () => {
  it.each([
    ['--public-key', ['verify', 'key', ...KEY_SIG, './v1.1.0-elliptic-key'], "Missing option '--public-key'"],
    ['--public-key given empty', ['verify', 'key', ...KEY_SIG, '--public-key', '', './v1.1.0-elliptic-key'], "Missing option '--public-key'"],
    ['--certificate-chain', ['verify', 'certificate', ...CERT_SIG, './v1.1.0-certificate'], "Missing option '--certificate-chain'"],
    ['--identity-provider', [...SIGSTORE, '--identity', 'stefanb@us.ibm.com', './v1.1.0-sigstore'], "Missing option '--identity-provider'"],
    ['--identity', [...SIGSTORE, '--identity-provider', ISSUER, './v1.1.0-sigstore'], "Missing option '--identity' or option '--identity-regexp'"],
  ])('%s', (_what, args, text) => {
    const r = mv(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(text);
    expect(r.stderr).toContain('[INPUT_MISSING]');
  });

  it('--json carries the code', () => {
    const r = mv(['verify', 'key', '--json', ...KEY_SIG, './v1.1.0-elliptic-key']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: 'INPUT_MISSING' });
  });
});

describe('invalid flags: refused with verification’s own code', () => {
  it('an identity pattern that is invalid under the u flag (the issue-10 case) is POLICY_INVALID', () => {
    const r = mv([...SIGSTORE, '--identity-provider', ISSUER, '--identity-regexp', 'stefanb\\-x@us\\.ibm\\.com', './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("option '--identity-regexp' is not a valid regular expression");
    expect(r.stderr).toContain('[POLICY_INVALID]');
  });
  it('the same pattern without the needless escape verifies', () => {
    expect(mv([...SIGSTORE, '--identity-provider', ISSUER, '--identity-regexp', 'stefanb@us\\.ibm\\.com', './v1.1.0-sigstore']).code).toBe(0);
  });
  it('a certificate given as --public-key is KEY_MALFORMED; a key given as --certificate-chain is CERT_MALFORMED', () => {
    const k = mv(['verify', 'key', ...KEY_SIG, '--public-key', './keys/certificate/ca-cert.pem', './v1.1.0-elliptic-key']);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('[KEY_MALFORMED]');
    const c = mv(['verify', 'certificate', ...CERT_SIG, '--certificate-chain', './keys/certificate/signing-key-pub.pem', './v1.1.0-certificate']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('[CERT_MALFORMED]');
  });
  it('an identity with surrounding whitespace can never match and is refused', () => {
    const r = mv([...SIGSTORE, '--identity-provider', ISSUER, '--identity', ' stefanb@us.ibm.com', './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[POLICY_INVALID]');
  });
});

describe('verify-model adapter', () => {
  it("takes every flag for every method and uses only the method's own", () => {
    const r = mv([
      'verify-model',
      '--method',
      'key',
      '--model-path',
      path.join(SCRIPTS, 'v1.1.0-elliptic-key'),
      '--bundle',
      path.join(SCRIPTS, 'v1.1.0-elliptic-key/model.sig'),
      '--public-key',
      path.join(SCRIPTS, 'keys/certificate/signing-key-pub.pem'),
      '--identity',
      'someone@example.com',
      '--identity-provider',
      ISSUER,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
  it('a missing key is INPUT_MISSING', () => {
    const r = mv([
      'verify-model',
      '--method',
      'key',
      '--model-path',
      path.join(SCRIPTS, 'v1.1.0-elliptic-key'),
      '--bundle',
      path.join(SCRIPTS, 'v1.1.0-elliptic-key/model.sig'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[INPUT_MISSING]');
  });
});
