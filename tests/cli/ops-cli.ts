/** Shared by the tests/cli/ops-*.test.ts files: the built CLI, run as a pipeline would run it. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, KEYS, ROOT, SCRIPTS } from '../helpers/fixtures.js';

export { KEYS, SCRIPTS };
export const PUB = path.join(KEYS, 'signing-key-pub.pem');
export const PRIV = path.join(KEYS, 'signing-key.pem');

/** Builds dist/cli (under the shared lock when flock exists: other test runs may be building it too). */
export function buildCli(): void {
  let r = spawnSync('flock', ['/tmp/cli.lock', process.execPath, 'scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI; `env` replaces nothing but adds to a clean copy without the variables these tests set. */
export function mv(args: string[], o: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number; preload?: string } = {}): Run {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k === 'MODEL_SIGNING_LOG_LEVEL') delete env[k];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...(o.preload ? ['--import', o.preload] : []), CLI, ...args], {
    cwd: o.cwd ?? SCRIPTS,
    encoding: 'utf8',
    env: { ...env, ...o.env },
    input: o.input ?? '',
    timeout: o.timeoutMs ?? 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** The same, asynchronously (for tests that serve something to the CLI from this process). */
export function mvAsync(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k === 'MODEL_SIGNING_LOG_LEVEL') delete env[k];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? SCRIPTS, env: { ...env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export const tmp = (prefix = 'mv-ops-') => mkdtempSync(path.join(tmpdir(), prefix));

/** A copy of the reference's v1.1.0 key-signed golden (signme-1, signme-2, ignore-me, model.sig). */
export function keyGolden(): { dir: string; model: string; sig: string } {
  const dir = tmp();
  cpSync(path.join(SCRIPTS, 'v1.1.0-elliptic-key'), path.join(dir, 'm'), { recursive: true });
  return { dir, model: path.join(dir, 'm'), sig: path.join(dir, 'm/model.sig') };
}

/** Every non-empty line parsed as JSON (throws on one that is not). */
export const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
