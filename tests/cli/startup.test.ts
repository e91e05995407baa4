/**
 * What start-up leaves out must not change what the CLI does (issue 17): the command tree built for an argv that
 * names a command is only that command (cli/main.ts commandsFor), and a model of a few small files is hashed
 * without node:worker_threads ever being loaded (node/hash-pool.ts); the result goes to stdout by one write(2) when
 * it can (cli/stdout.ts), and arrives whole however large.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, normalizeArgv } from '../../cli/main.js';
import { CLI } from '../helpers/fixtures.js';
import { buildCli, keyGolden, mv, mvAsync, PRIV, PUB, tmp } from './ops-cli.js';

/** Parses argv with `program` (actions never run: only help and parse errors are asked for) and records what it wrote. */
function parseOutput(program: Command, argv: string[]): { out: string; err: string; exit: string } {
  let out = '';
  let err = '';
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    for (const s of c.commands) quiet(s);
  };
  quiet(program);
  let exit = 'none';
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const c = e as { code?: string; exitCode?: number };
    exit = `${c.code} ${c.exitCode}`;
  }
  return { out, err, exit };
}

describe('the command tree built for one command', () => {
  const paths: string[][] = [];
  const walk = (c: Command, prefix: string[]) => {
    paths.push(prefix);
    for (const s of c.commands) walk(s, [...prefix, s.name()]);
  };
  walk(buildProgram(), []);

  it('covers every command of the whole tree', () => {
    expect(paths.length).toBeGreaterThan(15);
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['verify key', 'sign key', 'sign-model', 'verify-bundle', 'download']));
  });

  const cases = paths.flatMap((p) => [
    [...p, '--help'],
    [...p, '--no-such-flag'],
    [...p, '--log-level', 'nonsense', 'x'],
  ]);
  it.each(cases.map((argv) => [argv.join(' '), argv]))('%s: the same output and exit as with the whole tree', (_name, argv) => {
    const args = normalizeArgv(argv as string[]);
    const whole = parseOutput(buildProgram(), args);
    const subset = parseOutput(buildProgram(args), args);
    expect(whole.exit).not.toBe('none');
    expect(subset).toEqual(whole);
  });

  it('builds only the command named, and under verify only the method named', () => {
    const names = (c: Command): string[] => c.commands.flatMap((s) => [s.name(), ...names(s).map((n) => `${s.name()} ${n}`)]);
    expect(names(buildProgram(['verify', 'key', 'm']))).toEqual(['verify', 'verify key']);
    expect(names(buildProgram(['sign-model']))).toEqual(expect.arrayContaining(['sign', 'sign-model']));
    expect(names(buildProgram(['verify', '--json', 'key', 'm']))).toEqual(['verify', 'verify key', 'verify certificate', 'verify sigstore']);
    // A root option first, `help` or no command: the whole tree.
    for (const argv of [['--log-level', 'debug', 'verify', 'key', 'm'], ['help', 'verify'], ['vreify', 'key'], []]) {
      expect(names(buildProgram(argv))).toEqual(names(buildProgram()));
    }
  });
});

describe('node:worker_threads is loaded only when a hash worker starts', () => {
  let preload: string;
  beforeAll(() => {
    buildCli();
    const dir = tmp('mv-startup-');
    preload = path.join(dir, 'modules.mjs');
    // Node's own record of the built-in modules the process loaded, written at exit (no ESM import of node:fs here).
    writeFileSync(
      preload,
      "process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(process.env.MV_MODULES_OUT, process.moduleLoadList.join('\\n')));\n",
    );
  });
  const loaded = (args: string[]) => {
    const out = path.join(tmp('mv-startup-'), 'modules.txt');
    const r = mv(args, { preload, env: { MV_MODULES_OUT: out } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return { stdout: r.stdout, modules: readFileSync(out, 'utf8').split('\n') };
  };

  it('a model of a few small files verifies without it', () => {
    const g = keyGolden();
    const r = loaded(['verify', 'key', '--signature', g.sig, '--public-key', PUB, '--ignore-paths', path.join(g.model, 'ignore-me'), g.model]);
    expect(r.stdout).toMatch(/^Verification succeeded\n/);
    expect(r.modules).toContain('NativeModule fs'); // the record is there
    expect(r.modules).not.toContain('NativeModule worker_threads');
    // Nor node:fs's file streams, which its ESM facade (an `import … from 'node:fs'`) would load (scripts/build-cli.mjs).
    expect(r.modules).not.toContain('NativeModule internal/fs/streams');
  });

  it('a model of over 1 MiB hashes in workers, and so loads it', () => {
    const dir = tmp('mv-startup-');
    const model = path.join(dir, 'big');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(3 << 20, 7));
    const sig = path.join(dir, 'big.sig');
    expect(mv(['sign', 'key', '--private-key', PRIV, '--signature', sig, model]).code).toBe(0);
    const r = loaded(['verify', 'key', '--signature', sig, '--public-key', PUB, model]);
    expect(r.stdout).toMatch(/^Verification succeeded\n/);
    expect(r.modules).toContain('NativeModule worker_threads');
  });
});

describe('the result on stdout', () => {
  beforeAll(() => buildCli());

  it('a --json report larger than a pipe holds arrives whole, and so does the text', async () => {
    const dir = tmp('mv-startup-');
    const model = path.join(dir, 'many');
    mkdirSync(model);
    for (let i = 0; i < 1500; i++) writeFileSync(path.join(model, `file-${String(i).padStart(4, '0')}-${'x'.repeat(40)}.txt`), `${i}\n`);
    const sig = path.join(dir, 'many.sig');
    expect(mv(['sign', 'key', '--private-key', PRIV, '--signature', sig, model]).code).toBe(0);
    const json = await mvAsync(['verify', 'key', '--json', '--signature', sig, '--public-key', PUB, model]);
    expect(json.code).toBe(0);
    expect(json.stdout.length).toBeGreaterThan(256 << 10);
    const report = JSON.parse(json.stdout) as { verified: boolean; resources: unknown[] };
    expect(report.verified).toBe(true);
    expect(report.resources).toHaveLength(1500);
    const text = await mvAsync(['verify', 'key', '--signature', sig, '--public-key', PUB, model]);
    expect(text.stdout).toMatch(/^Verification succeeded\n[^]*1500 files verified[^]*\n$/);

    // On a non-blocking pipe that fills up (a parent Node process that opened its end of a shared stdout does
    // that), write(2) takes part and says EAGAIN: the rest goes through process.stdout, and all of it arrives.
    const wrapper = path.join(dir, 'nonblocking-stdout.cjs');
    writeFileSync(
      wrapper,
      'process.stdout; // libuv makes the pipe non-blocking when it opens it\n' +
        "const r = require('node:child_process').spawnSync(process.execPath, process.argv.slice(2), { stdio: 'inherit' });\n" +
        'process.exitCode = r.status ?? 1;\n',
    );
    const late = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [wrapper, CLI, 'verify', 'key', '--json', '--signature', sig, '--public-key', PUB, model], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const chunks: Buffer[] = [];
      p.stdout.pause(); // read nothing until the pipe is full
      setTimeout(() => p.stdout.on('data', (d: Buffer) => chunks.push(d)).resume(), 1500);
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
    });
    expect(late.code).toBe(0);
    const lateReport = JSON.parse(late.stdout) as typeof report;
    expect(lateReport.verified).toBe(true);
    expect(lateReport.resources).toEqual(report.resources);
  });
});
