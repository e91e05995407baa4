/** The built CLI on the Sigstore goldens: `verify sigstore`, `verify-model --method sigstore`, `verify-bundle`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, SCRIPTS } from '../helpers/fixtures.js';
import { EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import { GOLDENS, IDENTITY, ISSUER } from './fixtures.js';
import { tamper } from './tamper.js';

function mv(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: SCRIPTS, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'mv-sigstore-cli-'));
function tmpFile(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}
const TRUST_CONFIG = path.join(ROOT, 'tests/fixtures/model-transparency/tests/_signing/testdata/custom_trust_config.json');

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

function verifyArgs(name: string, extra: string[] = [], identity = IDENTITY): string[] {
  const g = GOLDENS.find((x) => x.name === name)!;
  const ignore = g.ignore.flatMap((p) => ['--ignore-paths', `${name}/${p}`]);
  return ['verify', 'sigstore', name, '--signature', `${name}/model.sig`, '--identity', identity, '--identity-provider', ISSUER, ...ignore, ...extra];
}

describe('verify sigstore', () => {
  for (const g of GOLDENS) {
    it(`${g.name} verifies offline and says who signed, when, where`, () => {
      const r = mv(verifyArgs(g.name));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/identity: +stefanb@us\.ibm\.com/);
      expect(r.stdout).toMatch(/issuer: +https:\/\/sigstore\.verify\.ibm\.com\/oauth2/);
      expect(r.stdout).toMatch(/log: +https:\/\/rekor\.sigstore\.dev index \d+ at 20\d\d-.*log ID wNI9atQGlz/);
      expect(r.stdout).toMatch(/cert: +issued by O=sigstore\.dev, CN=sigstore-intermediate, valid /);
      expect(r.stdout).toMatch(/trust: +Sigstore public-good production .*@sigstore\/tuf@.* \(\d{4}-\d\d-\d\d\)/);
      if (g.hasTimestamp) expect(r.stdout).toMatch(/time: .*rfc3161 https:\/\/timestamp\.sigstore\.dev/);
    });
  }
  it('--json carries the signer, log, timestamps and trust root', () => {
    const r = mv(verifyArgs('v1.1.0-sigstore', ['--json']));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.signer).toMatchObject({ method: 'sigstore', identity: IDENTITY, issuer: ISSUER, log: { kind: 'dsse 0.0.1', logIndex: '598151086' } });
    expect(j.signer.timestamps).toHaveLength(2);
    expect(j.trustRoot.date).toMatch(/^\d{4}-/);
  });
  it('another identity fails with the reason', () => {
    const r = mv(verifyArgs('v1.0.0-sigstore', [], 'someone@example.com'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Signed by 'stefanb@us.ibm.com'; you required 'someone@example.com'");
    expect(r.stderr).toContain('[IDENTITY_MISMATCH]');
  });
  it('a tampered bundle fails with the reason', () => {
    const sig = tmpFile('tampered.sig', tamper(readFileSync(path.join(SCRIPTS, 'v1.0.0-sigstore/model.sig'), 'utf8'), 'inclusion proof hash')!);
    const r = mv(['verify', 'sigstore', 'v1.0.0-sigstore', '--signature', sig, '--identity', IDENTITY, '--identity-provider', ISSUER]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TLOG_PROOF_INVALID]');
  });
  it('--use-staging says no staging root is available offline', () => {
    const r = mv(verifyArgs('v1.0.0-sigstore', ['--use-staging']));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/staging trust root is available offline/);
  });
  it('--trust-config (ClientTrustConfig, snake_case signing_config)', () => {
    expect(mv(verifyArgs('v1.0.0-sigstore', ['--trust-config', TRUST_CONFIG])).code).toBe(0);
    const r = mv(verifyArgs('v1.1.0-sigstore', ['--trust-config', TRUST_CONFIG]));
    expect(r.code).toBe(1); // its only TSA is GitHub's, not the one that stamped v1.1.0
    expect(r.stderr).toContain('[TIMESTAMP_INVALID]');
  });
  it('--trusted-root: a copy of production verifies, a root with a key lacking validFor.start is rejected', () => {
    const good = tmpFile('root.json', JSON.stringify(EMBEDDED_TRUSTED_ROOT));
    const ok = mv(verifyArgs('v1.0.0-sigstore', ['--trusted-root', good]));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/trust: +trusted root root\.json/);
    const broken = JSON.parse(JSON.stringify(EMBEDDED_TRUSTED_ROOT));
    delete broken.tlogs[0].publicKey.validFor.start;
    const r = mv(verifyArgs('v1.0.0-sigstore', ['--trusted-root', tmpFile('broken.json', JSON.stringify(broken))]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TRUST_ROOT_INVALID]');
  });
  it('refuses keyless verification without an identity', () => {
    const r = mv(['verify', 'sigstore', 'v1.0.0-sigstore', '--signature', 'v1.0.0-sigstore/model.sig', '--identity-provider', ISSUER]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[INPUT_MISSING]');
  });
  it('--identity-regexp is anchored', () => {
    const base = ['verify', 'sigstore', 'v1.0.0-sigstore', '--signature', 'v1.0.0-sigstore/model.sig', '--identity-provider', ISSUER];
    expect(mv([...base, '--identity-regexp', '.*@us\\.ibm\\.com']).code).toBe(0);
    expect(mv([...base, '--identity-regexp', 'stefanb']).code).toBe(1);
  });
});

describe('verify-model --method sigstore (conformance adapter)', () => {
  it('verifies and fails by exit code', () => {
    const args = [
      'verify-model',
      '--method',
      'sigstore',
      '--model-path',
      'v1.0.0-sigstore',
      '--bundle',
      'v1.0.0-sigstore/model.sig',
      '--identity-provider',
      ISSUER,
    ];
    expect(mv([...args, '--identity', IDENTITY]).code).toBe(0);
    expect(mv([...args, '--identity', 'x@example.com']).code).toBe(1);
  });
});

describe('verify-bundle (Sigstore conformance protocol)', () => {
  const subject = (name: string) => {
    const b = JSON.parse(readFileSync(path.join(SCRIPTS, name, 'model.sig'), 'utf8'));
    return JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString()).subject[0].digest.sha256 as string;
  };
  for (const g of GOLDENS) {
    it(`${g.name}: DIGEST mode with the in-toto subject`, () => {
      const r = mv([
        'verify-bundle',
        '--bundle',
        `${g.name}/model.sig`,
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        ISSUER,
        `sha256:${subject(g.name)}`,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
  it('a digest that is not a subject fails', () => {
    const r = mv([
      'verify-bundle',
      '--bundle',
      'v1.0.0-sigstore/model.sig',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      `sha256:${'0'.repeat(64)}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[ARTIFACT_MISMATCH]');
  });
  it('PATH mode: a file that is not the subject fails', () => {
    const r = mv([
      'verify-bundle',
      '--bundle',
      'v1.0.0-sigstore/model.sig',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      'v1.0.0-sigstore/signme-1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[ARTIFACT_MISMATCH]');
  });
  it('--trusted-root and --staging', () => {
    const root = tmpFile('root2.json', JSON.stringify(EMBEDDED_TRUSTED_ROOT));
    const base = ['--bundle', 'v1.0.0-sigstore/model.sig', '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
    expect(mv(['verify-bundle', ...base, '--trusted-root', root, `sha256:${subject('v1.0.0-sigstore')}`]).code).toBe(0);
    const st = mv(['verify-bundle', '--staging', ...base, `sha256:${subject('v1.0.0-sigstore')}`]);
    expect(st.code).toBe(1);
    expect(st.stderr).toMatch(/staging/);
  });
  it('--key with a key that did not sign fails', () => {
    const r = mv([
      'verify-bundle',
      '--bundle',
      'v1.0.0-sigstore/model.sig',
      '--key',
      'keys/certificate/signing-key-pub.pem',
      `sha256:${subject('v1.0.0-sigstore')}`,
    ]);
    expect(r.code).toBe(1);
  });
  it('wrong issuer fails', () => {
    const r = mv([
      'verify-bundle',
      '--bundle',
      'v1.0.0-sigstore/model.sig',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      `sha256:${subject('v1.0.0-sigstore')}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[ISSUER_MISMATCH]');
  });
});
