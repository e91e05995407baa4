/** Issue 10: strings from bundles and model file names never reach the terminal with control characters. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitize, terminalJson } from '../../cli/sanitize.js';
import { CLI, PUB_KEY, SCRIPTS } from '../helpers/fixtures.js';
import { ensureCliBuilt } from '../sign/helpers.js';

// Anything a terminal acts on: C0 (incl. ESC, CR, LF), DEL, C1 (incl. U+009B CSI), bidi controls, separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same, except the newlines between the lines the CLI itself composes. */
const RAW_IN_OUTPUT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FAKE = '\x1b[1A\x1b[2K\rVerification succeeded\x1b[0m\n\u009b2K\u202egpj.exe';

function mv(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the v1.1.0 key golden with its bundle edited. */
function golden(edit: (bundle: any) => void): { model: string; sig: string } {
  const model = path.join(mkdtempSync(path.join(tmpdir(), 'mv-sanitize-')), 'm');
  cpSync(path.join(SCRIPTS, 'v1.1.0-elliptic-key'), model, { recursive: true });
  const sig = path.join(model, 'model.sig');
  const b = JSON.parse(readFileSync(sig, 'utf8'));
  edit(b);
  writeFileSync(sig, JSON.stringify(b));
  return { model, sig };
}
const verifyArgs = (g: { model: string; sig: string }, ...extra: string[]) => [
  'verify',
  'key',
  '--signature',
  g.sig,
  '--public-key',
  PUB_KEY,
  '--ignore-paths',
  path.join(g.model, 'ignore-me'),
  ...extra,
  g.model,
];

describe('sanitize()', () => {
  it('escapes C0, DEL, C1 and bidi controls visibly, keeps every other character', () => {
    expect(sanitize('a\x1b[31mb')).toBe('a\\x1b[31mb');
    expect(sanitize('\r\n\t\x00\x7f\u0085\u009b')).toBe('\\x0d\\x0a\\x09\\x00\\x7f\\x85\\x9b');
    expect(sanitize('\u202egpj.exe\u2066\u2069\u200f\u061c\u2028')).toBe('\\u202egpj.exe\\u2066\\u2069\\u200f\\u061c\\u2028');
    const fine = 'modèle/权重 😀 — café (NFD cafe\u0301) → ok …';
    expect(sanitize(fine)).toBe(fine);
    expect(sanitize(FAKE)).not.toMatch(UNSAFE);
  });

  it('terminalJson() is the same JSON value, with nothing a terminal acts on left raw', () => {
    const v = { m: FAKE, k: ['\u009b', '\u202e'], plain: 'é' };
    const text = terminalJson(v);
    expect(text).not.toMatch(RAW_IN_OUTPUT);
    expect(JSON.parse(text)).toEqual(v);
  });
});

describe('CLI output is sanitised (built CLI)', () => {
  beforeAll(async () => {
    await ensureCliBuilt();
  }, 120_000);

  it('an ANSI media type cannot paint a fake "Verification succeeded" above the failure', () => {
    const g = golden((b) => (b.mediaType = FAKE));
    const r = mv(verifyArgs(g));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(RAW_IN_OUTPUT);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`Verification failed with error: Unsupported bundle media type '${sanitize(FAKE)}'`);
    expect(lines[0]).toContain('\\x1b[1A\\x1b[2K\\x0dVerification succeeded\\x1b[0m\\x0a\\x9b2K\\u202egpj.exe');
    expect(lines).toEqual([lines[0], '  [BUNDLE_MEDIA_TYPE]']);
  });

  it('--json keeps the exact message, escaped (JSON.stringify, plus DEL/C1/bidi as \\u escapes)', () => {
    const g = golden((b) => (b.mediaType = FAKE));
    const r = mv(verifyArgs(g, '--json'));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_IN_OUTPUT);
    expect(r.stdout).toContain('\\u001b[1A');
    expect(r.stdout).toContain('\\u009b2K\\u202egpj.exe');
    const report = JSON.parse(r.stdout);
    expect(report.errors[0]).toMatchObject({ code: 'BUNDLE_MEDIA_TYPE', message: `Unsupported bundle media type '${FAKE}'` });
  });

  it('a hostile file name in the model is escaped in the failure', () => {
    const g = golden(() => {});
    const name = 'evil\x1b[2K\rVerification succeeded\u202e';
    writeFileSync(path.join(g.model, name), 'x');
    const r = mv(verifyArgs(g));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(RAW_IN_OUTPUT);
    expect(r.stderr).toContain(`Extra files found in model 'm': ${sanitize(name)}`);
  });

  it('a clean verification still prints exactly as before', () => {
    const r = mv(verifyArgs(golden(() => {})));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Verification succeeded');
  });
});
