/**
 * Test side of verify-server.ts: bundles it (esbuild, like the CLI build) into a directory the unprivileged user
 * can read, starts it under `setpriv --reuid/--regid --clear-groups`, and sends it one request at a time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './fixtures.js';
import type { VerifyAnswer, VerifyRequest } from './verify-server.js';

export async function buildVerifyServer(): Promise<{ script: string; cleanup: () => void }> {
  // Inside the repository so the bundle's external imports resolve from node_modules at run time.
  const cache = path.join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'mv-verify-server-'));
  chmodSync(dir, 0o755);
  const script = path.join(dir, 'verify-server.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'tests/helpers/verify-server.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  chmodSync(script, 0o644);
  return { script, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export class VerifyServer {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private waiting: ((a: VerifyAnswer) => void) | null = null;
  private nextId = 0;
  private stderr = '';

  constructor(
    private readonly script: string,
    private readonly uid: number,
  ) {}

  private start(): Promise<void> {
    const worker = pathToFileURL(path.join(ROOT, 'dist/cli/hash-worker.mjs')).href;
    const p = spawn('setpriv', [`--reuid=${this.uid}`, `--regid=${this.uid}`, '--clear-groups', process.execPath, this.script], {
      env: { ...process.env, HASH_WORKER_URL: worker },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = p;
    this.stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    createInterface({ input: p.stdout }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(JSON.parse(line) as VerifyAnswer);
    });
    p.on('exit', (code, signal) => {
      if (this.proc === p) this.proc = null;
      const w = this.waiting;
      this.waiting = null;
      w?.({ id: -2, threw: `verify server exited (${code ?? signal}): ${this.stderr}` });
    });
    return new Promise((resolve, reject) => {
      this.waiting = (a) => (a.id === -1 ? resolve() : reject(new Error(a.threw ?? 'verify server did not start')));
    });
  }

  /** Verifies one model; rejects with a "stall" error (and restarts the server next time) after `timeoutMs`. */
  async verify(req: Omit<VerifyRequest, 'id'>, timeoutMs: number, onStall: () => void): Promise<VerifyAnswer> {
    if (!this.proc) await this.start();
    const p = this.proc!;
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<VerifyAnswer>((resolve, reject) => {
        this.waiting = resolve;
        timer = setTimeout(() => {
          this.waiting = null;
          onStall();
          this.stop();
          reject(new Error(`the unprivileged verifier did not answer within ${timeoutMs} ms: a stall`));
        }, timeoutMs);
        p.stdin.write(JSON.stringify({ ...req, id }) + '\n');
      });
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      p.stdin.end();
      p.kill('SIGKILL');
    }
  }
}
