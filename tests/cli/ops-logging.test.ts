/**
 * Issue 16, logs: --log-level (and MODEL_SIGNING_LOG_LEVEL), --log-format text|json, --output-file, in every
 * position commander reads them; JSON lines parse, and nothing but the report reaches stdout with --json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, jsonLines, keyGolden, mv, PRIV, PUB, tmp } from './ops-cli.js';

let g: ReturnType<typeof keyGolden>;
let verifyArgs: string[];
/** The golden with an unsigned extra file: fails with UNSIGNED_FILE. */
let extra: string;

beforeAll(() => {
  buildCli();
  g = keyGolden();
  verifyArgs = [g.model, '--public-key', PUB, '--ignore-paths', path.join(g.model, 'ignore-me')];
  extra = keyGolden().model;
  writeFileSync(path.join(extra, 'extra'), 'not signed');
});

const msgs = (lines: Record<string, unknown>[]) => lines.map((l) => l.msg);

describe('--log-format json', () => {
  it('stderr is JSON lines with time, level, msg and the data path fields; stdout is only the report', () => {
    const r = mv(['verify', 'key', ...verifyArgs, '--json', '--log-level', 'debug', '--log-format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verified).toBe(true);
    const lines = jsonLines(r.stderr);
    for (const l of lines) {
      expect(typeof l.time).toBe('string');
      expect(Number.isNaN(Date.parse(l.time as string))).toBe(false);
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level);
      expect(typeof l.msg).toBe('string');
    }
    expect(msgs(lines)).toEqual(expect.arrayContaining(['signature started', 'signature done', 'walk done', 'hashing done', 'compare done', 'verdict']));
    const by = (m: string) => lines.find((l) => l.msg === m)!;
    expect(by('signature done')).toMatchObject({ level: 'info', method: 'key' });
    expect(by('walk done')).toMatchObject({ files: 2, model: 'm' }); // signme-1, signme-2 (ignore-me and model.sig are ignored)
    expect(by('hashing done')).toMatchObject({ bytes: report.bytesHashed });
    expect(typeof by('hashing done').duration_ms).toBe('number');
    expect(by('verdict')).toMatchObject({ verified: true, model: 'm', files: report.resources.length });
  });

  it('a failure logs its code; the report says it too', () => {
    const r = mv(['verify', 'key', extra, '--public-key', PUB, '--json', '--log-level', 'info', '--log-format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors[0].code).toBe('UNSIGNED_FILE');
    const verdict = jsonLines(r.stderr).find((l) => l.msg === 'verdict');
    expect(verdict).toMatchObject({ verified: false, code: 'UNSIGNED_FILE' });
  });

  it('warnings are warn records, not WARNING: text, so stderr stays parseable', () => {
    const r = mv(['verify', 'key', ...verifyArgs, '--ignore-paths', '/nowhere/else', '--log-format', 'json']);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stderr);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: "Ignore path '/nowhere/else' is outside the model and has no effect" })]);
  });
});

describe('--log-level', () => {
  it('default (warn): a success prints no log line, warnings keep their WARNING: form', () => {
    const r = mv(['verify', 'key', ...verifyArgs, '--ignore-paths', '/nowhere/else']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("WARNING: Ignore path '/nowhere/else' is outside the model and has no effect\n");
  });

  it('error and silent hide warnings and logs, never the verdict', () => {
    for (const level of ['error', 'silent']) {
      const ok = mv(['verify', 'key', ...verifyArgs, '--ignore-paths', '/nowhere/else', '--log-level', level]);
      expect(ok.code).toBe(0);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toContain('Verification succeeded');
      const bad = mv(['verify', 'key', extra, '--public-key', PUB, '--log-level', level]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('[UNSIGNED_FILE]');
    }
  });

  it('is read before the command, after the command name, and between verify and its method', () => {
    for (const args of [
      ['--log-level', 'info', 'verify', 'key', ...verifyArgs],
      ['verify', 'key', '--log-level', 'info', ...verifyArgs],
      ['verify', 'key', ...verifyArgs, '--log-level', 'info'],
      ['verify', '--log-level', 'info', 'key', ...verifyArgs],
      ['verify', ...verifyArgs, '--log-level', 'info'],
    ]) {
      const r = mv(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/^time=\S+ level=INFO msg="hashing done" .*bytes=\d+ .*duration_ms=\d+$/m);
    }
  });

  it('MODEL_SIGNING_LOG_LEVEL sets it; the flag wins; a bad value is an error', () => {
    const env = mv(['verify', 'key', ...verifyArgs], { env: { MODEL_SIGNING_LOG_LEVEL: 'INFO' } });
    expect(env.stderr).toContain('msg=verdict');
    const flag = mv(['verify', 'key', ...verifyArgs, '--log-level', 'warn'], { env: { MODEL_SIGNING_LOG_LEVEL: 'debug' } });
    expect(flag.stderr).toBe('');
    const bad = mv(['verify', 'key', ...verifyArgs], { env: { MODEL_SIGNING_LOG_LEVEL: 'loud' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('MODEL_SIGNING_LOG_LEVEL must be one of debug, info, warn, error, silent');
    const badFlag = mv(['verify', 'key', ...verifyArgs, '--log-level', 'loud']);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/--log-level.*loud.*invalid|Allowed choices/);
  });
});

describe('--output-file', () => {
  it('appends the log lines to the file, none on stderr; sign logs its phases too', () => {
    const dir = tmp();
    const log = path.join(dir, 'run.log');
    const sig = path.join(dir, 'new.sig');
    const s = mv(['sign', 'key', g.model, '--private-key', PRIV, '--signature', sig, '--log-level', 'info', '--log-format', 'json', '--output-file', log]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toBe('');
    const v = mv(['verify', 'key', g.model, '--public-key', PUB, '--signature', sig, '--log-level', 'info', '--output-file', log, '--log-format', 'json']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toBe('');
    const lines = jsonLines(readFileSync(log, 'utf8'));
    const signing = lines.filter((l) => l.command === 'sign key' || ['walk done', 'hashing done', 'signing done'].includes(l.msg as string));
    expect(msgs(signing)).toEqual(expect.arrayContaining(['walk done', 'hashing done', 'signing done', 'verdict']));
    expect(lines.filter((l) => l.msg === 'verdict').map((l) => [l.command, l.verified])).toEqual([
      ['sign key', true],
      ['verify key', true],
    ]);
  });

  it('a log file that cannot be opened is an error before any work', () => {
    const r = mv(['verify', 'key', ...verifyArgs, '--output-file', '/nonexistent-dir/x.log']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot open the log file '/nonexistent-dir/x.log'");
    expect(r.stdout).toBe('');
  });
});

describe('cli/log.ts lines (in process)', () => {
  it('hostile values stay on one line, escaped, in both formats; JSON lines parse back to the same text', async () => {
    const { configureLogger, closeLogger, log } = await import('../../cli/log.js');
    const file = path.join(tmp(), 'x.log');
    const evil = 'a\nb\u001b[1Ac\u202ed "q" \\';
    try {
      configureLogger({ level: 'debug', format: 'json', file });
      log.info(evil, { model: evil, bytes: 3, ok: true, none: undefined });
      configureLogger({ level: 'debug', format: 'text', file });
      log.info(evil, { model: evil, plain: 'x/y.bin' });
      configureLogger({ level: 'warn', format: 'text', file });
      log.info('hidden');
    } finally {
      closeLogger();
    }
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const j = JSON.parse(lines[0]!);
    expect(j).toMatchObject({ level: 'info', msg: evil, model: evil, bytes: 3, ok: true });
    expect(j).not.toHaveProperty('none');
    expect(lines[0]).not.toMatch(/[\u001b\u202e]/);
    // logfmt: controls made visible by sanitize (\x0a, \u202e), then `"` and `\` escaped inside the quotes.
    const quoted = String.raw`"a\\x0ab\\x1b[1Ac\\u202ed \"q\" \\"`;
    expect(lines[1]).toMatch(/^time=\S+ level=INFO msg=/);
    expect(lines[1]).toContain(` msg=${quoted} model=${quoted} plain=x/y.bin`);
    expect(lines[1]).not.toMatch(/[\u001b\u202e]/);
  });
});
