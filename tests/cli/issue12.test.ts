/**
 * Issue 12 on the command line: `inspect`, `verify MODEL` inferring the method, the default signature path,
 * wrong-method messages that name the right method, the missing-identity message, and examples in every --help.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../cli/main.js';
import { CLI, KEY_CERT_GOLDENS, ROOT, SCRIPTS } from '../helpers/fixtures.js';
import { GOLDENS, IDENTITY, ISSUER } from '../sigstore/fixtures.js';
import { OTHER_ROOTS } from '../sigstore/roots.js';

function mv(args: string[], cwd = SCRIPTS) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'mv-i12-'));
const PUB = ['--public-key', './keys/certificate/signing-key-pub.pem'];
const CA = ['--certificate-chain', './keys/certificate/ca-cert.pem'];
const WHO = ['--identity', IDENTITY, '--identity-provider', ISSUER];
const ignores = (dir: string, ignore: string[]) => ignore.flatMap((i) => ['--ignore-paths', `${dir}/${i}`]);

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

describe('verify MODEL infers the method from the flags', () => {
  for (const g of KEY_CERT_GOLDENS) {
    it(`${g.name}: ${g.method === 'key' ? '--public-key' : '--certificate-chain'} → ${g.method}`, () => {
      const r = mv(['verify', '--signature', `./${g.name}/model.sig`, ...(g.method === 'key' ? PUB : CA), ...ignores(g.name, g.ignore), `./${g.model}`]);
      expect(r.stderr).not.toMatch(/failed/i);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(g.method === 'key' ? /signer: {4}public key/ : /signer: {4}certificate/);
    });
  }
  for (const g of GOLDENS) {
    it(`${g.name}: --identity/--identity-provider → sigstore`, () => {
      const r = mv(['verify', '--signature', `./${g.name}/model.sig`, ...WHO, ...ignores(g.name, g.ignore), `./${g.name}`]);
      expect(r.stderr).not.toMatch(/failed/i);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`identity:  ${IDENTITY}`);
    });
  }

  it('an identity pattern alone also means sigstore', () => {
    const r = mv(['verify', '--identity-regexp', '.*@us\\.ibm\\.com', '--identity-provider', ISSUER, './v1.1.0-sigstore']);
    expect(r.code).toBe(0);
  });

  it('a flag before the method name is refused, never silently replaced by the default signature', () => {
    const r = mv(['verify', '--signature', './v1.1.0-certificate/model.sig', 'key', ...PUB, './v1.1.0-elliptic-key']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("Put --signature after 'verify key'");
  });

  it('flags of two methods are refused, naming both', () => {
    const r = mv(['verify', ...PUB, '--identity', IDENTITY, './v1.1.0-elliptic-key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Flags of different methods given: --public-key (key) and --identity (sigstore)');
    expect(r.stderr).toContain('[POLICY_INVALID]');
  });
});

describe('verify MODEL without method flags: the signature says which it needs', () => {
  for (const g of [
    ...KEY_CERT_GOLDENS.map((x) => ({ name: x.name, model: x.model, method: x.method })),
    ...GOLDENS.map((x) => ({ name: x.name, model: x.name, method: 'sigstore' })),
  ]) {
    it(`${g.name} → asks for the ${g.method} flags`, () => {
      const r = mv(['verify', '--signature', `./${g.name}/model.sig`, `./${g.model}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('[INPUT_MISSING]');
      const want = { key: "Missing option '--public-key'", certificate: "Missing option '--certificate-chain'", sigstore: "Missing option '--identity'" }[
        g.method
      ]!;
      expect(r.stderr).toContain(want);
      if (g.method !== 'sigstore') expect(r.stderr).toContain(`verify it with the ${g.method} method`);
    });
  }

  it('a missing Sigstore identity lists every alternative and suggests inspect', () => {
    const r = mv(['verify', './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    const msg = r.stderr;
    expect(msg).toContain("Missing option '--identity' or option '--identity-regexp' and option '--identity-provider'");
    expect(msg).toContain('--identity IDENTITY');
    expect(msg).toContain('--identity-regexp PATTERN');
    expect(msg).toContain('--identity-provider URL');
    expect(msg).toContain('model-verify inspect v1.1.0-sigstore/model.sig');
  });

  it('verify sigstore with only an identity names the missing provider and the inspect command', () => {
    const r = mv(['verify', 'sigstore', '--identity', IDENTITY, './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Missing option '--identity-provider': a Sigstore signature");
    expect(r.stderr).toContain('model-verify inspect');
  });
});

describe('--signature defaults to MODEL/model.sig', () => {
  it('verify key|certificate|sigstore and verify MODEL find model.sig in the model (and ignore it)', () => {
    expect(mv(['verify', 'key', ...PUB, './v1.1.0-elliptic-key']).code).toBe(0);
    expect(mv(['verify', 'certificate', ...CA, './v1.1.0-certificate']).code).toBe(0);
    expect(mv(['verify', 'sigstore', ...WHO, './v1.1.0-sigstore']).code).toBe(0);
    const r = mv(['verify', ...PUB, './v1.1.0-elliptic-key', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).resources.map((x: { name: string }) => x.name)).toEqual(['signme-1', 'signme-2']);
  });

  it('without one (a single-file model, or a folder without model.sig) it asks for --signature', () => {
    const dir = tmp();
    cpSync(path.join(SCRIPTS, 'v1.0.1-elliptic-key'), path.join(dir, 'm'), { recursive: true });
    rmSync(path.join(dir, 'm', 'model.sig'));
    for (const model of ['./v1.0.0-elliptic-key/signme-1', path.join(dir, 'm')]) {
      const r = mv(['verify', 'key', ...PUB, model]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Missing option '--signature'");
      expect(r.stderr).toContain('[INPUT_MISSING]');
    }
  });

  it('an explicit --signature still wins over the model.sig inside the model', () => {
    const r = mv(['verify', 'key', ...PUB, '--signature', './v1.1.0-certificate/model.sig', './v1.1.0-elliptic-key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[BUNDLE_MATERIAL]');
  });
});

describe('wrong method: the message names the method the signature needs', () => {
  it.each([
    ['a Sigstore signature as key', ['verify', 'key', ...PUB, './v1.1.0-sigstore'], 'sigstore', 'BUNDLE_MATERIAL'],
    ['a Sigstore signature as certificate', ['verify', 'certificate', ...CA, './v1.1.0-sigstore'], 'sigstore', 'BUNDLE_MATERIAL'],
    ['a key signature as sigstore', ['verify', 'sigstore', ...WHO, './v1.1.0-elliptic-key'], 'key', 'TLOG_MISSING'],
    ['a key signature as certificate', ['verify', 'certificate', ...CA, './v1.1.0-elliptic-key'], 'key', 'BUNDLE_MATERIAL'],
    ['a certificate signature as key', ['verify', 'key', ...PUB, './v1.1.0-certificate'], 'certificate', 'BUNDLE_MATERIAL'],
    ['a certificate signature as sigstore', ['verify', ...WHO, './v1.1.0-certificate'], 'certificate', 'TLOG_MISSING'],
  ])('%s', (_name, args, method, code) => {
    const r = mv(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`verify it with the ${method} method`);
    expect(r.stderr).toContain(`[${code}]`);
  });

  it('an identity mismatch reads "signed by X; you required Y"', () => {
    const r = mv(['verify', '--identity', 'someone@example.com', '--identity-provider', ISSUER, './v1.1.0-sigstore']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Signed by '${IDENTITY}'; you required 'someone@example.com'`);
  });
});

describe('inspect', () => {
  for (const g of GOLDENS) {
    it(`${g.name}: the claimed identity and the command to verify it`, () => {
      const r = mv(['inspect', `./${g.name}/model.sig`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Signature inspected: this is who CLAIMS to have signed\. No policy was checked/);
      expect(r.stdout).toContain('  method:    sigstore');
      expect(r.stdout).toContain(`  identity:  ${IDENTITY}`);
      expect(r.stdout).toContain(`  issuer:    ${ISSUER}`);
      expect(r.stdout).toMatch(/ {2}log: {7}https:\/\/rekor\.sigstore\.dev index \d+ at /);
      expect(r.stdout).toContain(`model-verify verify MODEL --signature ./${g.name}/model.sig --identity ${IDENTITY} --identity-provider ${ISSUER}`);
    });
  }
  for (const g of KEY_CERT_GOLDENS) {
    it(`${g.name}: method ${g.method} and what was not checked`, () => {
      const r = mv(['inspect', '--json', `./${g.name}/model.sig`]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ policyChecked: false, method: g.method, signer: { method: g.method } });
      expect(j.notChecked.join('\n')).toMatch(g.method === 'key' ? /public key/ : /not anchored/);
    });
  }

  it('a model directory stands for its model.sig, and the suggested command verifies it', () => {
    const r = mv(['inspect', 'v1.1.0-sigstore']);
    expect(r.code).toBe(0);
    const cmd = r.stdout.trim().split('\n').at(-1)!.trim();
    expect(cmd).toBe(`model-verify verify v1.1.0-sigstore --identity ${IDENTITY} --identity-provider ${ISSUER}`);
    const v = mv(cmd.split(' ').slice(1));
    expect(v.code).toBe(0);
  });

  it('a tampered keyless signature is refused with its code (text and --json)', () => {
    const j = JSON.parse(readFileSync(path.join(SCRIPTS, 'v1.0.0-sigstore/model.sig'), 'utf8'));
    const h = Buffer.from(j.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0], 'base64');
    h[h.length - 1]! ^= 1;
    j.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0] = h.toString('base64');
    const f = path.join(tmp(), 'bad.sig');
    writeFileSync(f, JSON.stringify(j));
    const r = mv(['inspect', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Inspection failed with error: .+\n {2}\[TLOG_PROOF_INVALID\]\n$/);
    const rj = mv(['inspect', '--json', f]);
    expect(rj.code).toBe(1);
    expect(JSON.parse(rj.stdout).error.code).toBe('TLOG_PROOF_INVALID');
  });

  it('a missing or broken file is a typed error', () => {
    const d = tmp();
    expect(mv(['inspect', path.join(d, 'none.sig')]).stderr).toContain('[IO_ERROR]');
    writeFileSync(path.join(d, 'bad.sig'), '{');
    expect(mv(['inspect', path.join(d, 'bad.sig')]).stderr).toContain('[BUNDLE_MALFORMED]');
  });

  it('--trusted-root is used: a root without the Fulcio CA that issued the certificate refuses the chain', () => {
    const f = path.join(tmp(), 'root.json');
    writeFileSync(f, JSON.stringify(OTHER_ROOTS['Fulcio CA missing']!.root()));
    const r = mv(['inspect', '--trusted-root', f, './v1.0.0-sigstore/model.sig']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[CERT_CHAIN_UNTRUSTED]');
  });

  it('bundle text reaches the terminal escaped (an unverified key statement naming the model with controls)', () => {
    const j = JSON.parse(readFileSync(path.join(SCRIPTS, 'v1.1.0-elliptic-key/model.sig'), 'utf8'));
    const st = JSON.parse(Buffer.from(j.dsseEnvelope.payload, 'base64').toString('utf8'));
    st.subject[0].name = 'evil\u001b[2J\u202ename';
    j.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    const f = path.join(tmp(), 'evil.sig');
    writeFileSync(f, JSON.stringify(j));
    const r = mv(['inspect', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
    expect(r.stdout).toContain('evil\\x1b[2J\\u202ename');
    const rj = mv(['inspect', '--json', f]);
    expect(rj.stdout).not.toMatch(/[\u001b\u202e]/);
    expect(JSON.parse(rj.stdout).statement.subjectName).toBe('evil\u001b[2J\u202ename');
  });
});

describe('--help ends with examples for every command', () => {
  const paths: string[][] = [];
  const walk = (c: Command, prefix: string[]) => {
    paths.push(prefix);
    for (const s of c.commands) walk(s, [...prefix, s.name()]);
  };
  walk(buildProgram(), []);

  it('the tree is the one we document', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['', 'inspect', 'verify', 'verify key', 'verify certificate', 'verify sigstore', 'digest']),
    );
  });

  it.each(paths.map((p) => [p.join(' ') || '(program)', p]))('%s', (_name, p) => {
    const r = mv([...(p as string[]), '--help']);
    expect(r.code).toBe(0);
    const examples = r.stdout.lastIndexOf('\nExamples:\n');
    expect(examples).toBeGreaterThan(0);
    expect(r.stdout.slice(examples)).toMatch(/\n {2}(\S+=\S+ )?model-verify /);
  });
});
