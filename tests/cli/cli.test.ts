/** The built CLI, driven exactly as the reference's test scripts drive `model_signing`. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, KEY_CERT_GOLDENS, ROOT, SCRIPTS } from '../helpers/fixtures.js';
import { issue } from '../helpers/pki.js';

function mv(args: string[], cwd = SCRIPTS) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(s: string) {
  expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

describe('model-verify verify (reference flags, CWD = scripts/tests)', () => {
  for (const g of KEY_CERT_GOLDENS) {
    it(g.name, () => {
      const dir = `./${g.name}`;
      const ignore = g.ignore.length ? ['--ignore-paths', `${dir}/ignore-me`] : [];
      const args =
        g.method === 'key'
          ? ['verify', 'key', '--signature', `${dir}/model.sig`, '--public_key', './keys/certificate/signing-key-pub.pem', ...ignore, `./${g.model}`]
          : ['verify', 'certificate', '--signature', `${dir}/model.sig`, '--certificate_chain', './keys/certificate/ca-cert.pem', ...ignore, `${dir}/`];
      const r = mv(args);
      expect(r.stderr).not.toMatch(/failed/i);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe('Verification succeeded');
    });
  }

  it('runs from inside the model directory with model path "."', () => {
    const r = mv(
      ['verify', 'key', '--signature', 'model.sig', '--public-key', '../keys/certificate/signing-key-pub.pem', '--ignore-paths', 'ignore-me', '.'],
      path.join(SCRIPTS, 'v1.0.1-elliptic-key'),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('v1.0.1-elliptic-key');
  });

  it('without the ignore, v1.0.1 fails with the reference message', () => {
    const r = mv([
      'verify',
      'certificate',
      '--signature',
      './v1.0.1-certificate/model.sig',
      '--certificate-chain',
      './keys/certificate/ca-cert.pem',
      './v1.0.1-certificate/',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Verification failed with error: Extra files found in model 'v1.0.1-certificate': ignore-me");
    noStack(r.stderr);
  });

  it('a tampered copy fails with exit 1, the file named, no stack trace', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'mv-cli-'));
    cpSync(path.join(SCRIPTS, 'v1.1.0-certificate'), path.join(tmp, 'm'), { recursive: true });
    writeFileSync(path.join(tmp, 'm/signme-2'), 'tampered');
    const r = mv([
      'verify',
      'certificate',
      '--signature',
      path.join(tmp, 'm/model.sig'),
      '--certificate-chain',
      path.join(SCRIPTS, 'keys/certificate/ca-cert.pem'),
      path.join(tmp, 'm'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Hash mismatch for 'signme-2'");
    expect(r.stderr).toContain('[HASH_MISMATCH]');
    noStack(r.stderr);
  });

  it('--json prints the whole report', () => {
    const r = mv([
      'verify',
      'key',
      '--json',
      '--signature',
      './v1.1.0-elliptic-key/model.sig',
      '--public-key',
      './keys/certificate/signing-key-pub.pem',
      './v1.1.0-elliptic-key',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verified).toBe(true);
    expect(report.resources.map((x: { name: string; status: string }) => `${x.name}:${x.status}`)).toEqual(['signme-1:ok', 'signme-2:ok']);
    expect(report.signer.keyHint).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
    // The key file's name labels the key (policy keyName): people see which key, not only its hash.
    expect(report.signer.keyName).toBe('signing-key-pub.pem');
  });

  it('bad inputs end in a typed error and exit 1, never a stack trace', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'mv-cli-'));
    const bad = path.join(tmp, 'bad.sig');
    const key = ['--public-key', './keys/certificate/signing-key-pub.pem', './v1.1.0-elliptic-key'];
    for (const content of ['', '{', 'null', '[]', '{"mediaType":1}', readFileSync(path.join(SCRIPTS, 'v1.1.0-elliptic-key/model.sig'), 'utf8').slice(0, 300)]) {
      writeFileSync(bad, content);
      const r = mv(['verify', 'key', '--signature', bad, ...key]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Verification failed with error: .+/);
      noStack(r.stderr);
    }
    for (const args of [
      ['verify', 'key', '--signature', path.join(tmp, 'missing.sig'), ...key],
      ['verify', 'key', '--signature', './v1.1.0-elliptic-key/model.sig', '--public-key', path.join(tmp, 'nokey.pem'), './v1.1.0-elliptic-key'],
      ['verify', 'key', '--signature', './v1.1.0-elliptic-key/model.sig', '--public-key', './keys/certificate/ca-cert.pem', './v1.1.0-elliptic-key'],
      ['verify', 'key', '--signature', './v1.1.0-elliptic-key/model.sig', '--public-key', './keys/certificate/signing-key-pub.pem', path.join(tmp, 'nomodel')],
      ['verify', 'certificate', '--signature', './v1.1.0-certificate/model.sig', './v1.1.0-certificate'],
    ]) {
      const r = mv(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Verification failed with error: .+/);
      noStack(r.stderr);
    }
  });

  it('`verify MODEL` defaults to the sigstore PKI and asks for an identity', () => {
    const r = mv(['verify', '--signature', './v1.1.0-sigstore/model.sig', './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--identity');
  });
});

describe('digest', () => {
  it('prints the root digest like the reference', () => {
    const r = mv(['digest', '--ignore-paths', './v1.1.0-certificate/ignore-me', '--ignore-paths', './v1.1.0-certificate/model.sig', './v1.1.0-certificate']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('sha256:61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226');
  });
  it('single file', () => {
    const r = mv(['digest', './v1.0.0-elliptic-key/signme-1']);
    expect(r.stdout.trim()).toBe('sha256:afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b');
  });
});

describe('verify-model adapter', () => {
  it('key and certificate goldens: exit 0; absolute ignore paths', () => {
    const k = mv(
      [
        'verify-model',
        '--method',
        'key',
        '--model-path',
        path.join(SCRIPTS, 'v1.0.1-elliptic-key'),
        '--bundle',
        path.join(SCRIPTS, 'v1.0.1-elliptic-key/model.sig'),
        '--public-key',
        path.join(SCRIPTS, 'keys/certificate/signing-key-pub.pem'),
        '--ignore-paths',
        path.join(SCRIPTS, 'v1.0.1-elliptic-key/ignore-me'),
      ],
      ROOT,
    );
    expect(k.code).toBe(0);
    const c = mv(
      [
        'verify-model',
        '--method',
        'certificate',
        '--model-path',
        path.join(SCRIPTS, 'v1.1.0-certificate'),
        '--bundle',
        path.join(SCRIPTS, 'v1.1.0-certificate/model.sig'),
        '--cert-chain',
        path.join(SCRIPTS, 'keys/certificate/ca-cert.pem'),
      ],
      ROOT,
    );
    expect(c.code).toBe(0);
  });
  it('wrong anchor: exit 1', async () => {
    const foreign = await issue({ cn: 'foreign-root', ca: true });
    const pem = path.join(mkdtempSync(path.join(tmpdir(), 'mv-cli-')), 'foreign.pem');
    writeFileSync(pem, foreign.pem);
    const c = mv(
      [
        'verify-model',
        '--method',
        'certificate',
        '--model-path',
        path.join(SCRIPTS, 'v1.1.0-certificate'),
        '--bundle',
        path.join(SCRIPTS, 'v1.1.0-certificate/model.sig'),
        '--cert-chain',
        pem,
      ],
      ROOT,
    );
    expect(c.code).toBe(1);
  });
  it('an intermediate or the leaf itself may be pinned as the trust anchor (RFC 5280 anchors need not be self-signed)', () => {
    for (const anchor of ['int-ca-cert.pem', 'signing-key-cert.pem']) {
      const c = mv(
        [
          'verify-model',
          '--method',
          'certificate',
          '--model-path',
          path.join(SCRIPTS, 'v1.1.0-certificate'),
          '--bundle',
          path.join(SCRIPTS, 'v1.1.0-certificate/model.sig'),
          '--cert-chain',
          path.join(SCRIPTS, 'keys/certificate', anchor),
        ],
        ROOT,
      );
      expect(c.code).toBe(0);
    }
  });
  it('the unsigned ignore-me fails without --ignore-unsigned-files and passes with it', () => {
    const base = [
      'verify-model',
      '--method',
      'key',
      '--model-path',
      path.join(SCRIPTS, 'v1.0.1-elliptic-key'),
      '--bundle',
      path.join(SCRIPTS, 'v1.0.1-elliptic-key/model.sig'),
      '--public-key',
      path.join(SCRIPTS, 'keys/certificate/signing-key-pub.pem'),
    ];
    expect(mv(base, ROOT).code).toBe(1);
    expect(mv([...base, '--ignore-unsigned-files'], ROOT).code).toBe(0);
  });
});

describe('--version', () => {
  it('alone is answered by bin/ from package.json with exactly what the CLI itself prints', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    // With another option in front the bin does not answer: commander does.
    const viaCli = mv(['--log-level', 'warn', '--version']);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stdout).toBe(`${version}\n`);
    for (const flag of ['--version', '-V']) {
      const r = mv([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(viaCli.stdout);
      expect(r.stderr).toBe('');
    }
  });
});
