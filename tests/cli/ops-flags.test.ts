/**
 * Issue 16, --flags: the Go port's `--json` options (scripts/tests/test-json-flags.sh) with this CLI's spelling:
 * inline object, a file (any extension, or @FILE), stdin `-`; several merge left to right; command-line flags
 * win; keys the command does not take are errors. The sigstore flows of that script need a live OIDC beacon
 * and staging, so they are not here; their flags are the same options as in every other command.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, KEYS, mv, PRIV, PUB, tmp } from './ops-cli.js';

let MODEL: string;
let WORK: string;
let IGNORE: string;
const k = (f: string) => path.join(KEYS, f);

beforeAll(() => {
  buildCli();
  MODEL = tmp();
  WORK = tmp();
  writeFileSync(path.join(MODEL, 'signme-1'), 'signme-1\n');
  writeFileSync(path.join(MODEL, 'signme-2'), 'signme-2\n');
  IGNORE = path.join(MODEL, 'ignore');
  writeFileSync(IGNORE, 'ignore\n');
});

const file = (name: string, value: unknown) => {
  const p = path.join(WORK, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};
const ok = (r: ReturnType<typeof mv>) => expect(r.code, r.stderr).toBe(0);
const fails = (r: ReturnType<typeof mv>, text: string | RegExp) => {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(text);
};

describe('the Go port json-flags flows', () => {
  it('--flags FILE: sign key + verify key', () => {
    const sig = path.join(WORK, 'model.sig');
    ok(mv(['sign', 'key', '--flags', file('params.json', { model: MODEL, signature: sig, 'private-key': PRIV, 'ignore-paths': IGNORE })]));
    ok(mv(['verify', 'key', '--flags', file('verify.json', { model: MODEL, signature: sig, 'public-key': PUB, 'ignore-paths': IGNORE })]));
  });

  it('--flags - (stdin): sign key, verify key', () => {
    const sig = path.join(WORK, 'stdin.sig');
    ok(mv(['sign', 'key', '--flags', '-'], { input: JSON.stringify({ model: MODEL, signature: sig, 'private-key': PRIV, 'ignore-paths': IGNORE }) }));
    ok(mv(['verify', 'key', '--flags', '-'], { input: JSON.stringify({ model: MODEL, signature: sig, 'public-key': PUB, 'ignore-paths': IGNORE }) }));
  });

  it('inline --flags: verify key', () => {
    const sig = path.join(WORK, 'inline.sig');
    ok(mv(['sign', 'key', MODEL, '--private-key', PRIV, '--signature', sig, '--ignore-paths', IGNORE]));
    ok(mv(['verify', 'key', '--flags', JSON.stringify({ model: MODEL, signature: sig, 'public-key': PUB, 'ignore-paths': IGNORE })]));
  });

  it('a file with another extension, and a CLI --signature next to it', () => {
    const sig = path.join(WORK, 'alt.sig');
    const conf = file('params.conf', { model: MODEL, signature: path.join(WORK, 'unused.sig'), 'private-key': PRIV, 'ignore-paths': IGNORE });
    ok(mv(['sign', 'key', '--flags', conf, '--signature', sig]));
    expect(existsSync(sig)).toBe(true);
    expect(existsSync(path.join(WORK, 'unused.sig'))).toBe(false);
  });

  it('merge: a file, then an inline object overriding its signature path', () => {
    const over = path.join(WORK, 'override.sig');
    const params = file('merge.json', { model: MODEL, signature: path.join(WORK, 'first.sig'), 'private-key': PRIV, 'ignore-paths': IGNORE });
    ok(mv(['sign', 'key', '--flags', params, '--flags', JSON.stringify({ signature: over })]));
    expect(existsSync(over)).toBe(true);
    expect(existsSync(path.join(WORK, 'first.sig'))).toBe(false);
  });

  it('a command-line flag wins over the file (bogus signature path in the file)', () => {
    const good = path.join(WORK, 'cli-wins.sig');
    const params = file('bogus.json', { model: MODEL, signature: path.join(WORK, 'no-such-dir/bogus.sig'), 'private-key': PRIV, 'ignore-paths': IGNORE });
    ok(mv(['sign', 'key', '--flags', params, '--signature', good]));
    expect(existsSync(good)).toBe(true);
  });

  it('expected failures: missing file, a directory, not an object, another method’s flag', () => {
    fails(mv(['sign', 'key', '--flags', path.join(WORK, `does-not-exist-${process.pid}.json`)]), /Cannot read flags file/);
    fails(mv(['sign', 'key', '--flags', MODEL]), /not a regular file/);
    fails(mv(['sign', 'key', '--flags', file('bad-not-object.any', '[1,2,3]')]), /must be a JSON object/);
    fails(
      mv(['sign', 'key', '--flags', JSON.stringify({ 'signing-certificate': k('signing-key-cert.pem') })]),
      /unknown key for 'sign key': 'signing-certificate'/,
    );
    fails(mv(['sign', 'certificate', '--flags', JSON.stringify({ 'public-key': PUB })]), /unknown key for 'sign certificate': 'public-key'/);
    fails(
      mv(['verify', 'key', '--flags', JSON.stringify({ 'certificate-chain': k('ca-cert.pem') }), MODEL]),
      /unknown key for 'verify key': 'certificate-chain'/,
    );
    fails(mv(['verify', 'certificate', '--flags', JSON.stringify({ 'public-key': PUB }), MODEL]), /unknown key for 'verify certificate': 'public-key'/);
  });

  it('sign certificate and verify certificate: file, inline, stdin', () => {
    for (const how of ['file', 'inline', 'stdin'] as const) {
      const sig = path.join(WORK, `cert-${how}.sig`);
      const sign = {
        model: MODEL,
        signature: sig,
        'private-key': PRIV,
        'signing-certificate': k('signing-key-cert.pem'),
        'certificate-chain': k('int-ca-cert.pem'),
        'ignore-paths': IGNORE,
      };
      const verify = { model: MODEL, signature: sig, 'certificate-chain': k('ca-cert.pem'), 'ignore-paths': IGNORE };
      for (const [cmd, obj] of [
        ['sign', sign],
        ['verify', verify],
      ] as const) {
        const r =
          how === 'file'
            ? mv([cmd, 'certificate', '--flags', file(`${cmd}-cert.json`, obj)])
            : how === 'inline'
              ? mv([cmd, 'certificate', '--flags', JSON.stringify(obj)])
              : mv([cmd, 'certificate', '--flags', '-'], { input: JSON.stringify(obj) });
        ok(r);
      }
    }
  });
});

describe('--flags, this CLI', () => {
  it('underscore spellings, @FILE, arrays for repeatable options, booleans, verify MODEL inferring the method', () => {
    const sig = path.join(WORK, 'underscore.sig');
    mkdirSync(path.join(MODEL, '.git'), { recursive: true });
    writeFileSync(path.join(MODEL, '.git/HEAD'), 'ref: refs/heads/main\n');
    const extra = path.join(MODEL, 'extra');
    writeFileSync(extra, 'x');
    try {
      // ignore_git_paths: false → --no-ignore-git-paths: .git is signed too.
      const s = mv([
        'sign',
        'key',
        '--flags',
        `@${file('u.json', { model: MODEL, signature: sig, private_key: PRIV, ignore_paths: [IGNORE, extra], ignore_git_paths: false })}`,
      ]);
      ok(s);
      expect(s.stdout).toContain('(3 files,'); // signme-1, signme-2, .git/HEAD
      const v = mv([
        'verify',
        '--flags',
        JSON.stringify({ public_key: PUB, signature: sig, 'ignore-paths': [IGNORE, extra], 'ignore-git-paths': false, json: true }),
        MODEL,
      ]);
      ok(v);
      const report = JSON.parse(v.stdout);
      expect(report.resources.map((r: { name: string }) => r.name).sort()).toEqual(['.git/HEAD', 'signme-1', 'signme-2']);
      // A file added after signing: the JSON's list ignores it; --ignore-paths on the command line replaces that list
      // (rather than adding to it), so then it is unsigned.
      writeFileSync(path.join(MODEL, 'later'), 'y');
      const flags = JSON.stringify({ public_key: PUB, signature: sig, 'ignore-paths': [path.join(MODEL, 'later')], 'no-ignore-git-paths': true });
      ok(mv(['verify', MODEL, '--flags', flags]));
      const cli = mv(['verify', MODEL, '--ignore-paths', IGNORE, '--flags', flags]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain('[UNSIGNED_FILE]');
      expect(cli.stderr).toContain('later');
    } finally {
      rmSync(path.join(MODEL, '.git'), { recursive: true, force: true });
      rmSync(extra, { force: true });
      rmSync(path.join(MODEL, 'later'), { force: true });
    }
  });

  it('refuses unknown keys (all named), two spellings of one key, wrong value kinds, duplicate keys, a second stdin', () => {
    fails(mv(['verify', 'key', MODEL, '--flags', '{"public-key":"k","colour":"red","sizes":1}']), /unknown keys for 'verify key': 'colour', 'sizes'/);
    fails(
      mv(['verify', 'key', MODEL, '--flags', JSON.stringify({ 'public-key': PUB, public_key: PUB })]),
      /'public-key' and 'public_key' name the same option/,
    );
    fails(mv(['verify', 'key', MODEL, '--flags', '{"public-key": ["a", "b"]}']), /'public-key' takes one value, not an array/);
    fails(mv(['verify', 'key', MODEL, '--flags', '{"allow-symlinks": "yes"}']), /'allow-symlinks' is a switch: give true or false/);
    fails(mv(['verify', 'key', MODEL, '--flags', '{"signature": null}']), /'signature' must be a string or a number, got null/);
    fails(mv(['verify', 'key', MODEL, '--flags', '{"signature": "a", "signature": "b"}']), /duplicate|twice|more than once/i);
    fails(mv(['verify', 'key', MODEL, '--flags', '-', '--flags', '-'], { input: '{}' }), /only one --flags - can read stdin/);
    fails(mv(['verify', 'key', MODEL, '--flags', '{"flags": "{}"}']), /unknown key for 'verify key': 'flags'/);
    // `no-X` only where the command declares --no-X: "no-json": true must not turn --json on.
    fails(mv(['verify', 'key', MODEL, '--flags', '{"no-json": true}']), /unknown key for 'verify key': 'no-json'/);
  });

  it('takes global options too (log level from the file)', () => {
    const sig = path.join(WORK, 'model.sig');
    const r = mv([
      'verify',
      'key',
      '--flags',
      JSON.stringify({ model: MODEL, signature: sig, 'public-key': PUB, 'ignore-paths': IGNORE, 'log-level': 'info' }),
    ]);
    ok(r);
    expect(r.stderr).toContain('msg=verdict');
    // Given on the command line before the command name, the global option still wins over the JSON.
    const cli = mv([
      '--log-level',
      'warn',
      'verify',
      'key',
      '--flags',
      JSON.stringify({ model: MODEL, signature: sig, 'public-key': PUB, 'ignore-paths': IGNORE, 'log-level': 'info' }),
    ]);
    ok(cli);
    expect(cli.stderr).toBe('');
  });
});
