/**
 * The signing CLI through the built binary (bin/model-verify.js): `sign key|certificate`, the `sign-model` /
 * `verify-model` adapter round trip, passphrases, shards and hashes, and bad inputs that must fail clearly
 * without leaving a partial or replaced model.sig behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, GOLDENS, KEYS, REF_KEYS, REPO, tempDir } from './helpers.js';

const CLI = path.join(REPO, 'bin/model-verify.js');
const K = (f: string) => path.join(REF_KEYS, f);
const OWN = (f: string) => path.join(KEYS, f);

let work: string;
beforeAll(async () => {
  await ensureCliBuilt();
  work = tempDir('mv-sign-cli-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? work,
    env: { ...process.env, MODEL_SIGNING_PASSWORD: '', ...opts.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000, // a hung CLI fails the test instead of stalling the run
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let n = 0;
/** A fresh copy of a reference golden directory (model.sig removed). */
function model(from = 'v1.1.0-certificate'): string {
  const d = path.join(work, `m${n++}`);
  cpSync(path.join(GOLDENS, from), d, { recursive: true });
  rmSync(path.join(d, 'model.sig'), { force: true });
  return d;
}

const statementOf = (sig: string) => JSON.parse(Buffer.from(JSON.parse(readFileSync(sig, 'utf8')).dsseEnvelope.payload, 'base64').toString('utf8'));
const noTempFiles = (dir: string) => expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

describe('model-verify sign', () => {
  it('sign key (reference spellings) → verify key', () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const s = run(['sign', 'key', m, '--signature', sig, '--private_key', K('signing-key.pem'), '--ignore_paths', path.join(m, 'ignore-me')]);
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    expect(s.out).toContain('root sha256:61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226');
    const st = statementOf(sig);
    expect(st.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['signme-1', 'signme-2']);
    expect(st.predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig']);
    const v = run(['verify', 'key', m, '--signature', sig, '--public-key', K('signing-key-pub.pem')]);
    expect(v.code, v.err).toBe(0);
    noTempFiles(m);
  });

  it('from inside the model with `.` and the default --signature model.sig', () => {
    const m = model();
    const s = run(['sign', 'key', '.', '--private-key', K('signing-key.pem'), '--ignore-paths', 'ignore-me'], { cwd: m });
    expect(s.code, s.err).toBe(0);
    const st = statementOf(path.join(m, 'model.sig'));
    expect(st.subject[0].name).toBe(path.basename(m));
    expect(st.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['signme-1', 'signme-2']);
    expect(run(['verify', 'key', '.', '--signature', 'model.sig', '--public-key', K('signing-key-pub.pem')], { cwd: m }).code).toBe(0);
  });

  it('sign certificate with the reference chain → verify certificate with ca-cert.pem', () => {
    const m = model();
    const sig = path.join(work, `cert-${n}.sig`);
    const s = run([
      'sign',
      'certificate',
      m,
      '--signature',
      sig,
      '--private-key',
      K('signing-key.pem'),
      '--signing_certificate',
      K('signing-key-cert.pem'),
      '--certificate_chain',
      K('int-ca-cert.pem'),
      '--ignore-paths',
      path.join(m, 'ignore-me'),
    ]);
    expect(s.code, s.err).toBe(0);
    expect(statementOf(sig).predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me']);
    const v = run(['verify', 'certificate', m, '--signature', sig, '--certificate-chain', K('ca-cert.pem')]);
    expect(v.code, v.err).toBe(0);
    expect(run(['verify', 'certificate', m, '--signature', sig, '--certificate-chain', K('int-ca-cert.pem')]).code).toBe(0);
  });

  it('a single-file model: resource ".", subject = file name', () => {
    const m = model('v1.1.0-elliptic-key');
    const sig = path.join(work, `single-${n}.sig`);
    expect(run(['sign', 'key', path.join(m, 'signme-1'), '--signature', sig, '--private-key', K('signing-key.pem')]).code).toBe(0);
    const st = statementOf(sig);
    expect(st.subject[0]).toEqual({ name: 'signme-1', digest: { sha256: 'afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b' } });
    expect(st.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['.']);
    expect(run(['verify', 'key', path.join(m, 'signme-1'), '--signature', sig, '--public-key', K('signing-key-pub.pem')]).code).toBe(0);
  });

  it('--use-shards, --shard-size and --hash produce verifiable signatures', () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    for (const extra of [['--use-shards'], ['--shard-size', '3'], ['--hash', 'blake2b'], ['--hash', 'blake3', '--shard-size', '5']]) {
      const s = run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem'), '--ignore-paths', path.join(m, 'ignore-me'), ...extra]);
      expect(s.code, s.err).toBe(0);
      const ser = statementOf(sig).predicate.serialization;
      if (extra.includes('--shard-size')) expect(ser.shard_size).toBe(Number(extra[extra.indexOf('--shard-size') + 1]));
      if (extra.includes('--use-shards')) expect(ser.shard_size).toBe(1_000_000_000);
      expect(run(['verify', 'key', m, '--signature', sig, '--public-key', K('signing-key-pub.pem')]).code, extra.join(' ')).toBe(0);
    }
    expect(run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem'), '--shard-size', '1.5']).code).toBe(1);
  });

  it('encrypted keys: passphrase from MODEL_SIGNING_PASSWORD or --password VALUE; none and no terminal → clear error', () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    const base = ['sign', 'key', m, '--signature', sig, '--private-key', OWN('p256-scrypt.pem')];
    const none = run(base);
    expect(none.code).toBe(1);
    expect(none.err).toContain('MODEL_SIGNING_PASSWORD');
    expect(none.err).toContain('KEY_PASSWORD');
    expect(existsSync(sig)).toBe(false);
    expect(run(base, { env: { MODEL_SIGNING_PASSWORD: 'wrong' } }).err).toContain('wrong password');
    expect(run(base, { env: { MODEL_SIGNING_PASSWORD: 'correct-horse' } }).code).toBe(0);
    expect(run(['sign', 'key', m, '--signature', sig, '--private-key', OWN('p384-aes128-sha1.pem'), '--password', 'correct-horse']).code).toBe(0);
  });

  it('sign-model / verify-model adapter round trip (key and certificate, absolute ignore paths)', () => {
    const m = model();
    const bundle = path.join(m, 'model.sig');
    const ignore = ['--ignore-paths', path.join(m, 'ignore-me')];
    const s = run(['sign-model', '--method', 'key', '--model-path', m, '--output-bundle', bundle, '--private-key', K('signing-key.pem'), ...ignore]);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toBe('');
    expect(run(['verify-model', '--method', 'key', '--model-path', m, '--bundle', bundle, '--public-key', K('signing-key-pub.pem')]).code).toBe(0);
    const c = run([
      'sign-model',
      '--method',
      'certificate',
      '--model-path',
      m,
      '--output-bundle',
      bundle,
      '--private-key',
      K('signing-key.pem'),
      '--signing-cert',
      K('signing-key-cert.pem'),
      '--cert-chain',
      K('int-ca-cert.pem'),
      ...ignore,
    ]);
    expect(c.code, c.err).toBe(0);
    expect(run(['verify-model', '--method', 'certificate', '--model-path', m, '--bundle', bundle, '--cert-chain', K('ca-cert.pem')]).code).toBe(0);
    // Tampering after signing is caught by the adapter too.
    writeFileSync(path.join(m, 'signme-2'), 'tampered');
    expect(run(['verify-model', '--method', 'certificate', '--model-path', m, '--bundle', bundle, '--cert-chain', K('ca-cert.pem')]).code).toBe(1);
  });
});

describe('bad inputs fail clearly and leave no model.sig behind', () => {
  const cases: { name: string; args: (m: string, sig: string) => string[]; code: string; text: string }[] = [
    {
      name: 'wrong curve (secp256k1)',
      args: (m, sig) => ['sign', 'key', m, '--signature', sig, '--private-key', OWN('secp256k1-sec1.pem')],
      code: 'KEY_UNSUPPORTED',
      text: "Unsupported key for curve 'secp256k1'",
    },
    {
      name: 'RSA key below 2048 bits',
      args: (m, sig) => ['sign', 'key', m, '--signature', sig, '--private-key', OWN('rsa1024-pkcs8.pem')],
      code: 'KEY_UNSUPPORTED',
      text: 'RSA keys must have 2048 to 4096 bits',
    },
    {
      name: 'a certificate given as the private key',
      args: (m, sig) => ['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key-cert.pem')],
      code: 'KEY_MALFORMED',
      text: 'No PEM private key',
    },
    {
      name: 'key not matching the certificate',
      args: (m, sig) => [
        'sign',
        'certificate',
        m,
        '--signature',
        sig,
        '--private-key',
        OWN('p384-sec1.pem'),
        '--signing-certificate',
        K('signing-key-cert.pem'),
      ],
      code: 'KEY_MISMATCH',
      text: 'The public key from the certificate does not match the public key paired with the private key',
    },
    {
      name: 'unreadable private key file',
      args: (m, sig) => ['sign', 'key', m, '--signature', sig, '--private-key', path.join(m, 'no-such-key.pem')],
      code: 'IO_ERROR',
      text: 'Cannot read private key',
    },
    {
      name: 'unreadable certificate file',
      args: (m, sig) => [
        'sign',
        'certificate',
        m,
        '--signature',
        sig,
        '--private-key',
        K('signing-key.pem'),
        '--signing-certificate',
        path.join(m, 'nope.pem'),
      ],
      code: 'IO_ERROR',
      text: 'Cannot read signing certificate',
    },
    {
      name: 'model path missing',
      args: (m, sig) => ['sign', 'key', path.join(m, 'absent'), '--signature', sig, '--private-key', K('signing-key.pem')],
      code: 'MODEL_NOT_FOUND',
      text: 'does not exist',
    },
    {
      name: 'certificate that may not sign',
      args: (m, sig) => [
        'sign',
        'certificate',
        m,
        '--signature',
        sig,
        '--private-key',
        OWN('p256-sec1.pem'),
        '--signing-certificate',
        OWN('p256-ca-only-cert.pem'),
      ],
      code: 'CERT_USAGE',
      text: 'was not written',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = model();
      const sig = path.join(m, 'model.sig');
      const r = run(c.args(m, sig));
      expect(r.code).toBe(1);
      expect(r.err).toContain(c.text);
      expect(r.err).toContain(`[${c.code}]`);
      expect(existsSync(sig)).toBe(false);
      noTempFiles(m);
    });
  }

  it('a failed re-sign keeps the previous model.sig intact', () => {
    const m = model();
    const sig = path.join(m, 'model.sig');
    expect(run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem')]).code).toBe(0);
    const before = readFileSync(sig);
    expect(run(['sign', 'key', m, '--signature', sig, '--private-key', OWN('rsa1024-pkcs8.pem')]).code).toBe(1);
    expect(readFileSync(sig).equals(before)).toBe(true);
    noTempFiles(m);
  });

  it('signature paths that cannot be written: missing directory, a file as directory, a directory as the target', () => {
    const m = model();
    mkdirSync(path.join(m, 'adir'));
    for (const sig of [path.join(work, 'missing-dir', 'model.sig'), path.join(m, 'signme-1', 'model.sig'), path.join(m, 'adir')]) {
      const r = run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem')]);
      expect(r.code, sig).toBe(1);
      expect(r.err).toContain('[IO_ERROR]');
      expect(r.err).toMatch(/not writable|is a directory/);
    }
    expect(readdirSync(m).sort()).toEqual(['adir', 'ignore-me', 'signme-1', 'signme-2']);
  });

  it.skipIf(process.getuid?.() === 0)('a read-only directory (skipped as root, which may write anywhere)', () => {
    const m = model();
    const ro = path.join(work, `ro-${n}`);
    mkdirSync(ro, { mode: 0o555 });
    const r = run(['sign', 'key', m, '--signature', path.join(ro, 'model.sig'), '--private-key', K('signing-key.pem')]);
    expect(r.code).toBe(1);
    expect(readdirSync(ro)).toEqual([]);
  });

  it('an empty model is refused', () => {
    const m = path.join(work, `empty-${n++}`);
    mkdirSync(m);
    const r = run(['sign', 'key', m, '--signature', path.join(m, 'model.sig'), '--private-key', K('signing-key.pem')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('[MODEL_EMPTY]');
    expect(readdirSync(m)).toEqual([]);
  });

  it('a symlink is refused unless --allow-symlinks', () => {
    const m = model();
    const sig = path.join(work, `sym-${n}.sig`);
    execFileSync('ln', ['-s', 'signme-1', path.join(m, 'link')]);
    const r = run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem')]);
    expect(r.err).toContain('[SYMLINK_REFUSED]');
    expect(existsSync(sig)).toBe(false);
    expect(run(['sign', 'key', m, '--signature', sig, '--private-key', K('signing-key.pem'), '--allow-symlinks']).code).toBe(0);
    expect(statementOf(sig).predicate.resources.map((r: { name: string }) => r.name)).toEqual(['ignore-me', 'link', 'signme-1', 'signme-2']);
  });
});
